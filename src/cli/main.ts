#!/usr/bin/env node
// The `iit` entry. Loading the commands takes a few hundred milliseconds; earlySignals, which loads in
// a few, holds a Ctrl-C/SIGTERM that arrives meanwhile, so commands that promise 130 keep the promise.
import "./earlySignals.js";

await import("./program.js");
