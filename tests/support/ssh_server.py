#!/usr/bin/python3
"""A small SSH server for mtvtest's ssh tests (paramiko, loopback only).

Password authentication for one user (the password comes from the
MTVTEST_SSH_PASSWORD environment variable, never argv); `exec` requests
run under /bin/sh -c with stdout, stderr and the exit status sent back.
A fresh ECDSA host key per process unless --host-key FILE is given.
Prints "PORT <n>" on stdout once listening on 127.0.0.1 (port 0 = free).
"""
import argparse
import os
import socket
import subprocess
import sys
import threading

import paramiko


class Server(paramiko.ServerInterface):
    def __init__(self, user, password):
        self.user = user
        self.password = password
        self.done = threading.Event()

    def check_auth_password(self, username, password):
        if username == self.user and password == self.password:
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def get_allowed_auths(self, username):
        return "password"

    def check_channel_request(self, kind, chanid):
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_exec_request(self, channel, command):
        threading.Thread(target=run, args=(channel, command.decode()),
                         daemon=True).start()
        return True


def run(channel, command):
    try:
        p = subprocess.run(["/bin/sh", "-c", command], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        channel.sendall(p.stdout)
        channel.sendall_stderr(p.stderr)
        channel.send_exit_status(p.returncode if p.returncode >= 0 else 255)
        channel.shutdown_write()
        channel.close()
    except Exception as e:  # the client went away
        print("exec failed: %s" % e, file=sys.stderr)


def serve(conn, key, user, password):
    t = paramiko.Transport(conn)
    t.add_server_key(key)
    try:
        t.start_server(server=Server(user, password))
        while t.is_active():
            t.join(1)
    except Exception as e:
        print("session ended: %s" % e, file=sys.stderr)
    finally:
        t.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--user", required=True)
    ap.add_argument("--host-key")
    args = ap.parse_args()
    password = os.environ.get("MTVTEST_SSH_PASSWORD", "")
    if args.host_key:
        key = paramiko.ECDSAKey(filename=args.host_key)
    else:
        key = paramiko.ECDSAKey.generate()
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    print("PORT %d" % ls.getsockname()[1], flush=True)
    while True:
        conn, _ = ls.accept()
        threading.Thread(target=serve, args=(conn, key, args.user, password),
                         daemon=True).start()


if __name__ == "__main__":
    main()
