// The thread tuner that picks each decode's thread count (native/src/threading/thread-tuner.h), checked by
// native/tests/threading/test-thread-tuner.cpp on constructed decode times and idle cores.
import { describeCppSuite } from "../../helpers/cppSuite.js";

describeCppSuite({
  name: "thread tuner",
  target: "test-thread-tuner",
  source: "native/tests/threading/test-thread-tuner.cpp",
  checks:
    "moves to the faster count, stays on a busy machine, follows a change, ignores changing shapes, needs an idle core known to be idle",
  count: 30,
});
