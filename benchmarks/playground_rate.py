"""Updates per second of the playground while training: 2-8-8-1 on circle, every unit's map at 50x50.

One update is what the page asks for while playing: one epoch of training on the server, then a frame
(weights, losses, and the map of every unit from one forward pass over the 50x50 grid) over HTTP.
Run: python benchmarks/playground_rate.py [seconds]
"""

import json
import sys
import threading
import time
import urllib.request

from backprop.learn.playground import server


def main(seconds=5.0):
    sock = server.bind(0)
    uv, playground = server.make_server(sock)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not uv.started:
        time.sleep(0.01)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"

    def post(path, body):
        req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST")
        with urllib.request.urlopen(req) as response:
            return json.loads(response.read())

    settings = {"dataset": "circle", "layers": [8, 8], "activations": ["tanh", "tanh"], "batch_size": 10}
    sid = post("/api/session", {"settings": settings})["id"]
    n, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        frame = post(f"/api/step?id={sid}&epochs=1", {})
        n += 1
    elapsed = time.perf_counter() - started
    maps = sum(len(layer) for layer in frame["maps"]["units"])
    print(f"2-8-8-1 on circle (200 training points, batch 10), {maps} unit maps at 50x50 + the output map:")
    print(f"{n / elapsed:.1f} updates per second ({n} updates in {elapsed:.1f} s, over HTTP)")
    uv.should_exit = True
    thread.join()


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 5.0)
