"""The console commands, one thin module each: parse, one library call, print."""
