#!/usr/bin/env python3
"""A stand-in for a Databricks workspace, on loopback, for the token tests.

Usage: test/databricks_standin.py PORT_FILE

Listens on a free 127.0.0.1 port (written to PORT_FILE) and serves:

  POST /oidc/v1/token                 the OAuth M2M token endpoint
  GET  /api/2.0/sql/warehouses/{id}   the SQL warehouse API

By default the token endpoint checks the form body and the HTTP Basic
credentials against the configured client ID and secret, and answers a new
token ("standin-token-<n>") or {"error": "invalid_client"}.  The warehouse API
checks the bearer token and knows the configured warehouses.

Tests steer it through /control:
  POST /control/config  {"client_id", "client_secret", "ttl", "delay",
                         "warehouses": {"id": 200|403|404, ...}}
  POST /control/script  {"token": [answer, ...], "warehouse": [answer, ...]}
                        answers used one per request before the defaults;
                        an answer is {"status", "body" (JSON) or "raw"
                        (text), "headers", "delay" (seconds)}
  GET  /control/stats   request counts and what the last token request sent
  POST /control/reset   forget scripts and counts
It never prints what clients send.
"""
import base64
import json
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
state = {}


def reset():
    state.update(config={"client_id": "standin-client", "client_secret": "standin-secret",
                         "ttl": 3600, "delay": 0, "warehouses": {"abc123def456": 200}},
                 script={"token": [], "warehouse": []},
                 stats={"token_requests": 0, "warehouse_requests": 0, "last_token_request": None},
                 issued=set(), counter=0)


reset()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def answer(self, status, body=None, raw=None, headers=None, delay=0):
        time.sleep(delay)
        data = raw.encode() if raw is not None else json.dumps(body if body is not None else {}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            self.send_header(name, str(value))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def scripted(self, route):
        with lock:
            queue = state["script"][route]
            return queue.pop(0) if queue else None

    def do_GET(self):
        if self.path == "/control/stats":
            with lock:
                stats = json.loads(json.dumps(state["stats"]))
            return self.answer(200, stats)
        if self.path.startswith("/api/2.0/sql/warehouses/"):
            return self.warehouse(urllib.parse.unquote(self.path.rsplit("/", 1)[1]))
        self.answer(404, {"error_code": "ENDPOINT_NOT_FOUND"})

    def do_POST(self):
        body = self.body()
        if self.path == "/control/config":
            with lock:
                state["config"].update(json.loads(body))
            return self.answer(200, state["config"])
        if self.path == "/control/script":
            with lock:
                for route, answers in json.loads(body).items():
                    state["script"][route].extend(answers)
            return self.answer(200, {})
        if self.path == "/control/reset":
            with lock:
                reset()
            return self.answer(200, {})
        if self.path == "/oidc/v1/token":
            return self.token(body)
        self.answer(404, {"error_code": "ENDPOINT_NOT_FOUND"})

    def token(self, body):
        with lock:
            state["stats"]["token_requests"] += 1
            config = dict(state["config"])
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        expected = "Basic " + base64.b64encode(
            f"{config['client_id']}:{config['client_secret']}".encode()).decode()
        authorization_ok = self.headers.get("Authorization") == expected
        with lock:
            state["stats"]["last_token_request"] = {
                "content_type": self.headers.get("Content-Type"),
                "form": {k: v for k, v in form.items()},
                "authorization_ok": authorization_ok,
                "accept": self.headers.get("Accept"),
            }
        script = self.scripted("token")
        if script is not None:
            return self.answer(script.get("status", 200), script.get("body"), script.get("raw"),
                               script.get("headers"), script.get("delay", 0))
        if not authorization_ok or form != {"grant_type": ["client_credentials"], "scope": ["all-apis"]}:
            return self.answer(401, {"error": "invalid_client", "error_description": "Client authentication failed"},
                               delay=config["delay"])
        with lock:
            state["counter"] += 1
            token = f"standin-token-{state['counter']}"
            state["issued"].add(token)
        self.answer(200, {"access_token": token, "token_type": "Bearer", "expires_in": config["ttl"],
                          "scope": "all-apis"}, delay=config["delay"])

    def warehouse(self, warehouse_id):
        with lock:
            state["stats"]["warehouse_requests"] += 1
            issued = set(state["issued"])
            known = dict(state["config"]["warehouses"])
        script = self.scripted("warehouse")
        if script is not None:
            return self.answer(script.get("status", 200), script.get("body"), script.get("raw"),
                               script.get("headers"), script.get("delay", 0))
        token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
        if token not in issued:
            return self.answer(401, {"error_code": "UNAUTHENTICATED", "message": "Invalid access token."})
        status = known.get(warehouse_id, 404)
        if status == 200:
            return self.answer(200, {"id": warehouse_id, "name": "reltio-warehouse", "state": "RUNNING"})
        self.answer(status, {"error_code": "PERMISSION_DENIED" if status == 403 else "RESOURCE_DOES_NOT_EXIST"})


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass        # a client that gave up (a timeout under test) is not news


def main():
    server = Server(("127.0.0.1", 0), Handler)
    with open(sys.argv[1], "w") as f:
        f.write(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
