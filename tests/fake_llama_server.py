"""Stands in for the embedded llama.cpp server (llama-server or llama_cpp.server) in tests of how
the harness treats it: it answers /v1/models and chat completions, and misbehaves on request.

    python tests/fake_llama_server.py --port P --behaviour crash_after:N | hang_after:N [--ignore-sigterm]

crash_after:N  the (N+1)-th completion kills the process with SIGSEGV, as a build for another CPU does
hang_after:N   the (N+1)-th and later completions never answer (a slow machine); the process lives on
--ignore-sigterm: SIGTERM does nothing, as with llama-cpp-python's server shutting down gracefully
behind a generation in flight
Each completion request is appended to the file named by $FAKE_LLAMA_REQUESTS, with this pid.
"""

import argparse
import json
import os
import signal
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPLY = {
    "id": "x", "object": "chat.completion", "created": 0, "model": "fake",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "1 2 3 4 5"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 20, "completion_tokens": 24, "total_tokens": 44},
}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--behaviour", default="crash_after:2")
    parser.add_argument("--ignore-sigterm", action="store_true")
    args, _ = parser.parse_known_args()
    if args.ignore_sigterm:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    kind, count = args.behaviour.split(":")
    served = 0

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a: object) -> None:
            print("request", *a, flush=True)

        def _json(self, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._json({"object": "list", "data": [{"id": "fake", "object": "model"}]})

        def do_POST(self) -> None:
            nonlocal served
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if path := os.environ.get("FAKE_LLAMA_BODIES"):  # what each request asked for, a line each
                with open(path, "ab") as f:
                    f.write(body.replace(b"\n", b" ") + b"\n")
            if path := os.environ.get("FAKE_LLAMA_REQUESTS"):
                with open(path, "a") as f:
                    f.write(f"{os.getpid()} {time.time()}\n")
            served += 1
            if served > int(count):
                print(f"fake server: {kind} on completion {served}", flush=True)
                if kind == "crash_after":
                    os.kill(os.getpid(), signal.SIGSEGV)
                time.sleep(3600)
            self._json(REPLY)

    print("fake llama server ready", flush=True)
    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
