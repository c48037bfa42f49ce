"""Math answer checking behind the ``accuracy`` reward: gold parsing, a fast exact path, math-verify
in a pool of worker processes, and the verdict rules."""
