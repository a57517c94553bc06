# Runs a command in a pseudo-terminal and plays a script against it, for tests of interactive commands
# (node has no pty of its own here). argv[1]: JSON {"cmd": [...], "steps": [[wait_for_regex, send], ...]};
# each step waits until the transcript so far matches the regex, then types `send`. Prints
# {"transcript", "status", "timed_out"} as JSON.
import json, os, pty, re, select, sys, time

spec = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.execvp(spec["cmd"][0], spec["cmd"])

out = b""
timed_out = False

def read_until(pattern, deadline):
    global out
    while not re.search(pattern, out.decode("utf-8", "replace")):
        if time.time() > deadline:
            return False
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                return bool(re.search(pattern, out.decode("utf-8", "replace")))
            if not chunk:
                return False
            out += chunk
    return True

for wait, send in spec["steps"]:
    if not read_until(wait, time.time() + spec.get("timeout", 60)):
        timed_out = True
        break
    os.write(fd, send.encode())

deadline = time.time() + spec.get("timeout", 60)
status = None
while status is None and time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.05)
    if r:
        try:
            chunk = os.read(fd, 4096)
            out += chunk
        except OSError:
            pass
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        status = os.waitstatus_to_exitcode(st)
if status is None:
    os.kill(pid, 9)
    timed_out = True
print(json.dumps({"transcript": out.decode("utf-8", "replace"), "status": status, "timed_out": timed_out}))
