"""The playground in headless Chromium: train from the UI, change the setup, hover live weights."""

import re
import time

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def loss(page, which):
    text = page.get_by_label(which, exact=True).text_content()
    return float(text) if text not in ("-", "") else float("inf")


def open_page(page, running, hash_=""):
    page.goto(running.url + hash_)
    page.wait_for_function("document.getElementById('epoch').textContent === '0000'")
    return max(running.playground.sessions, key=lambda sid: list(running.playground.sessions).index(sid))


def train_until(page, limit, seconds):
    page.get_by_role("button", name="Play", exact=True).click()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and loss(page, "Test loss") >= limit:
        time.sleep(0.2)
    page.get_by_role("button", name="Pause", exact=True).click()
    return loss(page, "Test loss")


@pytest.mark.parametrize(
    "hash_",
    [
        "#dataset=circle&layers=4,2&activations=tanh,tanh&optimizer=adam&learning_rate=0.03",
        "#dataset=xor&layers=8,8&activations=tanh,tanh&optimizer=adam&learning_rate=0.03",
    ],
)
def test_trains_from_the_ui_until_the_test_loss_is_below_0_1(page, running, hash_):
    sid = open_page(page, running, hash_)
    shown = train_until(page, 0.1, 40)
    assert shown < 0.1
    session = running.playground.sessions[sid]
    page.wait_for_timeout(300)  # the last step's frame is drawn
    assert float(page.get_by_label("Test loss", exact=True).text_content()) == pytest.approx(
        session.net.cost(session.X_test, session.Y_test), abs=5e-4
    )
    assert int(page.get_by_label("Epoch", exact=True).text_content()) == session.epoch > 0


def test_switch_dataset_activation_and_layers(page, running):
    open_page(page, running)
    page.get_by_label("Dataset", exact=True).select_option("spiral")
    page.wait_for_function("document.querySelector('#legend').textContent.includes('1')")
    page.get_by_label("Classes").fill("3")
    page.get_by_label("Classes").dispatch_event("change")
    page.wait_for_function("document.querySelector('#legend').textContent.includes('2')")
    assert "classes=3" in page.url and "dataset=spiral" in page.url
    page.get_by_label("Activation", exact=True).select_option("relu")
    page.wait_for_function("document.querySelector('[aria-label=\"Layer 2 activation\"]').value === 'relu'")
    page.get_by_role("button", name="Add layer").click()
    page.wait_for_function("document.getElementById('layer-count').textContent === '3 hidden layers'")
    page.get_by_role("button", name="Add unit to layer 3").click()
    page.wait_for_function("document.querySelectorAll('[data-node^=\"3-\"]').length === 3")
    page.get_by_label("Layer 1 activation").select_option("sigmoid")
    page.wait_for_function("location.hash.includes('activations=sigmoid%2Crelu%2Crelu')")
    page.wait_for_function("App.S.data.activations[0] === 'sigmoid'")  # the new session has answered
    sid = page.evaluate("App.S.id")
    net = running.playground.sessions[sid].net
    assert net.sizes == [2, 4, 2, 3, 3] and [a.name for a in net.activations] == ["sigmoid", "relu", "relu", "softmax"]
    # the URL holds the setup: a new page on it builds the same network
    url = page.url
    page.goto("about:blank")
    page.goto(url)
    page.wait_for_function("document.getElementById('layer-count').textContent === '3 hidden layers'")
    assert running.playground.sessions[page.evaluate("App.S.id")].net.sizes == [2, 4, 2, 3, 3]
    page.get_by_role("button", name="Remove layer").click()
    page.wait_for_function("document.getElementById('layer-count').textContent === '2 hidden layers'")
    page.get_by_label("Problem type").select_option("regression")
    page.wait_for_function("document.getElementById('dataset').value === 'plane'")


def test_hovered_weight_is_the_engines_live_value(page, running):
    sid = open_page(page, running, "#layers=3&activations=tanh&optimizer=adam&learning_rate=0.1")
    page.get_by_role("button", name="Step", exact=True).click()
    page.wait_for_function("document.getElementById('epoch').textContent === '0001'")
    edge = page.locator('[data-edge="1-2-1"]')
    edge.hover()
    tip = page.locator("#tooltip")
    W = running.playground.sessions[sid].net.weights
    value = float(re.search(r"W_1\[3,2\] = (\S+)", tip.text_content()).group(1))
    assert value == pytest.approx(W[0][2, 1], abs=1e-8)
    first = value
    # still hovered (the keyboard presses Step, the mouse stays on the edge), the value follows training
    page.get_by_role("button", name="Step", exact=True).focus()
    page.keyboard.press("Enter")
    page.wait_for_function("document.getElementById('epoch').textContent === '0002'")
    assert tip.is_visible()
    value = float(re.search(r"W_1\[3,2\] = (\S+)", tip.text_content()).group(1))
    assert value != pytest.approx(first, abs=1e-12)
    assert value == pytest.approx(running.playground.sessions[sid].net.weights[0][2, 1], abs=1e-8)
    assert page.get_by_role("button", name="Reset").is_visible()


def test_narrow_screen_keeps_every_control_reachable(browser, running):
    context = browser.new_context(viewport={"width": 420, "height": 800}, bypass_csp=True)  # wait_for_function evals
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(running.url)
    page.wait_for_function("document.getElementById('epoch').textContent === '0000'")
    for name in ("Play", "Step", "Reset", "Step through"):
        box = page.get_by_role("button", name=name, exact=True).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 420, name
    for label in ("Dataset", "Learning rate", "Activation", "Noise"):
        box = page.get_by_label(label, exact=True).bounding_box()
        assert box and box["x"] + box["width"] <= 420, label
    assert page.evaluate("document.documentElement.scrollWidth") <= 420 + 1
    context.close()
    assert not errors
