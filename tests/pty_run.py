#!/usr/bin/python3
"""Runs a command with its standard error (and output) on a pseudo-terminal of
COLS columns and writes what it printed, byte for byte, to OUT.

usage: pty_run.py COLS OUT COMMAND [ARG...]   (exit status: the command's)"""
import fcntl
import os
import pty
import struct
import sys
import termios


def main():
    cols, out, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
    data = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:                  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        data += chunk
    _, status = os.waitpid(pid, 0)
    with open(out, "wb") as f:
        f.write(data)
    sys.exit(os.waitstatus_to_exitcode(status))


main()
