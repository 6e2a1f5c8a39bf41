"""A local server that speaks the work-notification APIs of 企业微信 (WeCom) and 钉钉 (DingTalk) and records what it
received (not a test module). Started by a test in a thread; ``hold_first_token`` makes the first ``gettoken`` wait
until released, so a test can kill a worker in the middle of a send.

Like WeCom's own ``enable_duplicate_check``, a repeat of the same text to the same person within the interval is
accepted and dropped (not shown again): ``shown`` holds what people would see.
"""

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CORP_ID, SECRET, APP_KEY = "ww-test-corp", "test-secret", "ding-test-app"


class FakeWorkMessaging:
    def __init__(self, *, hold_first_token: bool = False):
        self.requests: list[tuple[str, dict, dict]] = []  # (path, query, body)
        self.shown: list[dict] = []
        self.release = threading.Event()
        self.holding = hold_first_token
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, payload: dict):
                body = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                path, _sep, query = self.path.partition("?")
                params = dict(urllib.parse.parse_qsl(query))
                with fake.lock:
                    fake.requests.append((path, params, {}))
                    hold, fake.holding = fake.holding, False
                if hold:
                    fake.release.wait(60)
                if path == "/cgi-bin/gettoken":
                    ok = params.get("corpid") == CORP_ID and params.get("corpsecret") == SECRET
                elif path == "/gettoken":
                    ok = params.get("appkey") == APP_KEY and params.get("appsecret") == SECRET
                else:
                    return self._answer({"errcode": 404, "errmsg": "no such API"})
                self._answer({"errcode": 0, "access_token": "token-1", "expires_in": 7200} if ok
                             else {"errcode": 40001, "errmsg": "invalid credential"})

            def do_POST(self):
                path, _sep, query = self.path.partition("?")
                params = dict(urllib.parse.parse_qsl(query))
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                with fake.lock:
                    fake.requests.append((path, params, body))
                if params.get("access_token") != "token-1":
                    return self._answer({"errcode": 40014, "errmsg": "invalid access_token"})
                if path == "/cgi-bin/message/send":
                    who, text = body.get("touser"), body.get("text", {}).get("content")
                    with fake.lock:
                        repeat = body.get("enable_duplicate_check") == 1 and any(
                            s["to"] == who and s["text"] == text for s in fake.shown)
                        if not repeat:
                            fake.shown.append({"app": "wecom", "to": who, "text": text})
                    return self._answer({"errcode": 0, "errmsg": "ok", "msgid": f"m{len(fake.requests)}"})
                if path == "/topapi/message/corpconversation/asyncsend_v2":
                    with fake.lock:
                        fake.shown.append({"app": "dingtalk", "to": body.get("userid_list"),
                                           "text": body.get("msg", {}).get("text", {}).get("content")})
                    return self._answer({"errcode": 0, "errmsg": "ok", "task_id": len(fake.requests)})
                return self._answer({"errcode": 404, "errmsg": "no such API"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def calls(self, path: str) -> list[dict]:
        with self.lock:
            return [body for p, _query, body in self.requests if p == path]
