"""A local HTTP server that plays Twilio's Messages API and a web-push endpoint."""
from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class Providers:
    def __init__(self) -> None:
        self.sms: list[dict] = []
        self.pushes: list[dict] = []
        self.fail_sms = False
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base_url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _handler(self):
        providers = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if "/Messages.json" in self.path:
                    return self._twilio(body)
                if self.path.startswith("/push/"):
                    providers.pushes.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
                    return self._reply(201, {})
                self._reply(404, {"message": "not found"})

            def _twilio(self, body: bytes) -> None:
                if providers.fail_sms:
                    return self._reply(400, {"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400})
                form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                providers.sms.append({"path": self.path, "auth": self.headers.get("Authorization"), **form})
                self._reply(201, {"sid": "SM" + uuid.uuid4().hex, "status": "queued", "to": form.get("To"),
                                  "from": form.get("From"), "body": form.get("Body")})

            def _reply(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def stop(self) -> None:
        self.server.shutdown()
