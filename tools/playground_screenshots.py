"""Screenshots of the playground for the docs: python tools/playground_screenshots.py [docs/images]

Also prints the update rate seen in the browser (epochs drawn per second while playing 2-8-8-1).
"""

import os
import shutil
import sys
import threading
import time

from playwright.sync_api import sync_playwright

from backprop.learn.playground import server

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]


def main(out="docs/images"):
    os.makedirs(out, exist_ok=True)
    sock = server.bind(0)
    uv, _ = server.make_server(sock)
    threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not uv.started:
        time.sleep(0.01)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), headless=True, args=ARGS)
        # bypass_csp: playwright's wait_for_function evaluates its predicate, which the page's CSP forbids
        page = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True).new_page()

        def play(hash_, seconds):
            page.goto("about:blank")
            page.goto(url + hash_)
            page.wait_for_function("document.getElementById('epoch').textContent === '0000'")
            page.get_by_role("button", name="Play", exact=True).click()
            time.sleep(seconds)
            page.get_by_role("button", name="Pause", exact=True).click()
            page.wait_for_timeout(300)
            return int(page.locator("#epoch").text_content()) / seconds

        rate = play("#dataset=circle&layers=8,8&activations=tanh,tanh&optimizer=adam&learning_rate=0.03&test=1", 4)
        print(f"browser: {rate:.1f} updates per second (2-8-8-1, every map at 50x50, drawn)")
        page.screenshot(path=f"{out}/playground-circle.png")
        play("#dataset=spiral&classes=3&noise=0&layers=8,8,8&activations=tanh,tanh,tanh&optimizer=adam"
             "&learning_rate=0.03&features=x1,x2,sin%20x1,sin%20x2&batch_size=10", 20)
        page.screenshot(path=f"{out}/playground-spiral-3-classes.png")
        page.set_viewport_size({"width": 1280, "height": 1000})
        page.goto("about:blank")
        page.goto(url)
        page.wait_for_function("document.getElementById('epoch').textContent === '0000'")
        page.get_by_role("button", name="Worked example").click()
        names = ["forward-z1", "forward-a1", "forward-z2", "forward-a2", "cost", "bp1", "bp2", "bp3-layer2",
                 "bp4-layer2", "bp3-layer1", "bp4-layer1", "update"]
        for n, name in enumerate(names):
            page.wait_for_function(f"document.getElementById('stage-count').textContent === 'step {n + 1} of 12'")
            if name == "bp3-layer1":
                page.get_by_role("button", name="Check dC/dW_1[1,1]").click()
            page.locator("#stepper").screenshot(path=f"{out}/step-{n + 1:02d}-{name}.png")
            if n == 6:
                page.screenshot(path=f"{out}/step-through-bp2.png")
            page.keyboard.press("ArrowRight")
        # a batch of three points: each sample's delta, and the 1/m of (BP3)
        page.goto("about:blank")
        page.goto(url + "#dataset=circle&layers=3&activations=tanh&learning_rate=0.3")
        page.wait_for_function("document.getElementById('epoch').textContent === '0000'")
        page.get_by_role("button", name="Step", exact=True).click()
        page.wait_for_function("document.getElementById('epoch').textContent === '0001'")
        page.get_by_role("button", name="Step through").click()
        page.get_by_label("Training points", exact=True).fill("1,5,9")
        page.get_by_label("Training points", exact=True).press("Enter")
        page.wait_for_function("document.querySelector('#stage .hint') && "
                               "document.querySelector('#stage .hint').textContent.includes('m = 3;')")
        page.get_by_role("button", name="Previous step").focus()
        for _ in range(5):
            page.keyboard.press("ArrowRight")
        page.wait_for_function("document.getElementById('stage-count').textContent === 'step 6 of 12'")
        page.locator("#stepper").screenshot(path=f"{out}/step-batch-bp1.png")
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        page.wait_for_function("document.getElementById('stage-count').textContent === 'step 8 of 12'")
        page.locator("#stepper").screenshot(path=f"{out}/step-batch-bp3.png")
        # the backward pass on the network, and one edge's chain rule
        page.get_by_role("button", name="Step through").click()  # off: its marks would cover the gradients
        page.get_by_label("Show gradients", exact=True).check()
        page.locator('[data-edge="2-0-1"]').click()
        page.wait_for_selector("#edge-panel [data-q=chain]")
        page.mouse.move(0, 0)  # no tooltip over the picture
        page.locator("section.net").screenshot(path=f"{out}/playground-gradients.png")
        page.goto("about:blank")
        page.goto(url)
        page.wait_for_function("document.getElementById('epoch').textContent === '0000'")
        page.get_by_role("button", name="Vanishing gradients").click()
        page.wait_for_selector("[data-vanish='relu-1']")
        page.locator("#vanish").screenshot(path=f"{out}/vanishing-gradients.png")
        browser.close()
    uv.should_exit = True


if __name__ == "__main__":
    main(*sys.argv[1:])
