"""The step-through in Chromium: true arithmetic for several points, current weights, links, keyboard."""

import re
import time

import numpy as np

import pytest

from shown_arithmetic import check

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def open_page(page, running, hash_=""):
    page.goto(running.url + hash_)
    page.wait_for_function("document.getElementById('epoch').textContent === '0000'")
    return page.evaluate("App.S.id")


def pick_points(page, text):
    box = page.get_by_label("Training points", exact=True)
    box.fill(text)
    box.press("Enter")
    m = len(text.split(","))
    page.wait_for_function(f"document.querySelector('#stage .hint') && "
                           f"document.querySelector('#stage .hint').textContent.includes('m = {m};')")


def shown_lines(page):
    return page.eval_on_selector_all("#stage .equation", "els => els.map(e => e.textContent)")


# (link, points): the three output layers the page builds, with 2, 4 and 8 points
CASES = [
    ("#dataset=circle&layers=3&activations=tanh&learning_rate=0.3", "1,5"),  # sigmoid + binary cross-entropy
    ("#dataset=spiral&classes=3&layers=4,3&activations=relu,leaky_relu&learning_rate=0.1", "2,4,6,8"),  # softmax + CE
    ("#dataset=plane&problem=regression&layers=3&activations=sigmoid&learning_rate=0.03",
     "1,2,3,4,5,6,7,8"),  # identity + mse
]


@pytest.mark.parametrize("hash_,points", CASES)
def test_every_equation_the_page_shows_is_true_for_several_points(page, running, hash_, points):
    sid = open_page(page, running, hash_)
    page.get_by_role("button", name="Step", exact=True).click()  # trained one epoch: not the initial weights
    page.wait_for_function("document.getElementById('epoch').textContent === '0001'")
    page.get_by_role("button", name="Step through").click()
    pick_points(page, points)
    page.get_by_role("button", name="Previous step").focus()  # the arrow keys move the caret in the text box
    indices = [int(p) - 1 for p in points.split(",")]
    rate = float(re.search(r"learning_rate=([\d.]+)", hash_).group(1))
    status, r = running.request(f"/api/explain?id={sid}", {"points": indices, "learning_rate": rate})
    assert status == 200 and r["rows"] == [i + 1 for i in indices]
    checked = 0
    for n, stage in enumerate(r["stages"]):
        page.wait_for_function(f"document.getElementById('stage-count').textContent === "
                               f"'step {n + 1} of {len(r['stages'])}'")
        assert page.locator("#stage-title").text_content() == stage["title"]
        for item in range(min(3, len(stage["items"]))):
            if item:
                page.keyboard.press("ArrowDown")
            lines = shown_lines(page)
            assert lines == stage["items"][item], (stage["title"], item)
            for line in lines:
                assert check(line)[0] >= 2, line
                checked += 1
        page.get_by_role("button", name="Next step").focus()
        page.keyboard.press("Enter")
    m = len(indices)
    assert checked >= m * 4  # z and a of layer 1 alone show m lines per unit


def test_the_step_through_follows_training(page, running):
    sid = open_page(page, running, "#dataset=circle&layers=3&activations=tanh&learning_rate=0.3")
    page.get_by_role("button", name="Step through").click()
    page.wait_for_selector("#stage .equation")
    first = shown_lines(page)
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_selector("#stale-note")  # training moved on: the old numbers are hidden, with a note
    assert "Pause" in page.locator("#stale-note").text_content()
    assert page.locator("#stage .equation").count() == 0
    page.get_by_role("button", name="Pause", exact=True).click()
    page.wait_for_selector("#stage .equation")
    epoch = int(page.locator("#epoch").text_content())
    session = running.playground.sessions[sid]
    assert epoch == session.epoch > 0
    status, r = running.request(f"/api/explain?id={sid}", {"points": [0], "learning_rate": 0.3})
    assert shown_lines(page) == r["stages"][0]["items"][0] != first  # the current weights' z_1[1]
    # the hover shows the current weight beside the current gradient
    page.locator('[data-edge="1-1-0"]').hover()
    tip = page.locator("#tooltip").text_content()
    assert f"W_1[2,1] = {session.net.weights[0][1, 0]:.8f}" in tip
    assert f"= {r['layers'][0]['dC_dW'][1][0]:.8f}" in tip
    # a setting that changes without a reset (the learning rate) refreshes the update's equations
    page.get_by_label("Learning rate", exact=True).select_option("0.1")
    page.wait_for_function("App.S.settings.learning_rate === 0.1")
    for _ in range(len(r["stages"]) - 1):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("document.querySelector('#stage .general').textContent.includes('η = 0.1')")


def test_a_bad_link_is_named_and_the_page_stays_usable(page, running):
    page.goto(running.url + "#dataset=nope&learning_rate=abc&layers=50,50")
    page.wait_for_function("document.getElementById('epoch').textContent === '0000'")
    status = page.locator("#status")
    text = status.text_content()
    for bad in ("dataset=nope", "learning_rate=abc", "layers=50,50"):
        assert bad in text
    assert "replaced by the defaults" in text and "error" in status.get_attribute("class")
    assert page.locator("#dataset option").count() >= 7
    assert page.get_by_label("Dataset", exact=True).input_value() == "circle"
    assert page.locator("[data-node]").count() == 2 + 4 + 2 + 1
    assert "dataset=circle" in page.url and "learning_rate=0.03" in page.url
    page.get_by_role("button", name="Step", exact=True).click()
    page.wait_for_function("document.getElementById('epoch').textContent === '0001'")
    page.get_by_role("button", name="Reset").click()
    page.wait_for_function("document.getElementById('epoch').textContent === '0000'")
    assert page.locator("#status").text_content() == ""


def test_points_by_keyboard_and_quiet_live_regions(page, running):
    open_page(page, running)
    page.get_by_role("button", name="Step through").click()
    pick_points(page, "3,7,11")
    assert "training point(s) 3, 7, 11" in page.locator("#stage .hint").text_content()
    assert page.evaluate("App.S.picked") == [2, 6, 10]
    box = page.get_by_label("Training points", exact=True)
    box.fill("0,x")
    box.press("Enter")
    page.wait_for_function("document.getElementById('status').textContent.includes('Training points')")
    assert "'0' is not one" in page.locator("#status").text_content()
    assert page.evaluate("App.S.picked") == [2, 6, 10]  # the last good choice stays
    # Space on a focused button presses that button only
    page.get_by_role("button", name="Next step").focus()
    page.keyboard.press(" ")
    page.wait_for_function("document.getElementById('stage-count').textContent.startsWith('step 2 of')")
    page.wait_for_timeout(1200)
    assert page.locator("#stage-count").text_content().startswith("step 2 of")  # no autoplay started
    assert page.locator("#autoplay").text_content() == "Play steps"
    # live regions: polite, none an alert; the epoch and losses reach a screen reader about once a second
    assert page.locator("[role=alert], [aria-live=assertive]").count() == 0
    assert page.evaluate("document.getElementById('epoch').closest('[aria-live], output, [role=status]')") is None
    page.evaluate("""() => { window.announced = 0;
        new MutationObserver(() => window.announced++).observe(document.getElementById('announce'),
            {childList: true, characterData: true, subtree: true}); }""")
    started = time.monotonic()
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_function("Number(document.getElementById('epoch').textContent) >= 30", timeout=60000)
    page.get_by_role("button", name="Pause", exact=True).click()
    seconds = time.monotonic() - started
    epochs, announced = int(page.locator("#epoch").text_content()), page.evaluate("window.announced")
    assert announced <= seconds + 2, (announced, epochs, seconds)  # every frame: about 13 a second


def test_an_upload_success_is_information_not_an_error(page, running, tmp_path):
    open_page(page, running)
    path = tmp_path / "points.csv"
    path.write_text("a,b,y\n" + "\n".join(f"{i / 10},{(i % 7) / 3},{i % 2}" for i in range(30)) + "\n")
    page.get_by_label("Upload CSV").set_input_files(str(path))
    page.wait_for_function("document.getElementById('status').textContent.includes('30 rows')")
    assert "error" not in (page.locator("#status").get_attribute("class") or "")
    assert page.locator("#status").get_attribute("role") == "status"


def test_a_table_with_text_columns_is_read_as_backprop_train_reads_it(page, running, tmp_path):
    sid = open_page(page, running)
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b,y\n1,2,0\n3,4\n5,6,1\n")
    page.get_by_role("button", name="Play", exact=True).click()
    page.get_by_label("Upload CSV").set_input_files(str(ragged))
    page.wait_for_function("document.getElementById('status').textContent.includes('refused')")
    status = page.locator("#status").text_content()
    assert "ragged.csv" in status and "row" in status and "keeps its previous data (circle)" in status
    assert page.evaluate("App.S.id") == sid and page.get_by_label("Dataset", exact=True).input_value() == "circle"
    epoch = page.locator("#epoch").text_content()
    page.wait_for_timeout(500)
    assert page.locator("#epoch").text_content() == epoch  # paused, not training under the message
    page.errors[:] = [e for e in page.errors if "status of 400" not in e]  # the refusal itself, as the browser logs it
    rng = __import__("random").Random(0)
    table = tmp_path / "homes.csv"
    rows = [f"{rng.uniform(50, 200):.1f},{rng.choice(['east', 'west', 'north'])},{rng.choice(['low', 'mid', 'high'])}"
            for _ in range(60)]
    table.write_text("size,region,price\n" + "\n".join(rows) + "\n")
    page.get_by_label("Upload CSV").set_input_files(str(table))
    page.wait_for_function("document.getElementById('status').textContent.includes('60 rows')")
    assert "error" not in page.locator("#status").get_attribute("class")
    session = running.playground.sessions[page.evaluate("App.S.id")]
    assert session.feature_names == ["size", "region=east", "region=north", "region=west"]
    inputs = page.eval_on_selector_all("[data-node^='0-'] .name", "els => els.map(e => e.textContent)")
    L = len(session.net.sizes) - 1
    outputs = page.eval_on_selector_all(f"[data-node^='{L}-'] .name", "els => els.map(e => e.textContent)")
    assert inputs == session.feature_names and outputs == ["high", "low", "mid"] == session.classes


def test_show_gradients_draws_the_backward_pass_and_an_edge_opens_its_chain_rule(page, running):
    sid = open_page(page, running, "#dataset=circle&layers=4&activations=tanh&learning_rate=0.3")
    page.get_by_label("Show gradients", exact=True).check()
    page.get_by_role("button", name="Step", exact=True).click()
    page.wait_for_function("document.getElementById('epoch').textContent === '0001'")
    session = running.playground.sessions[sid]
    grad_w, grad_b = session.net.gradients(session.X_train, session.Y_train)
    top = max(abs(g).max() for g in grad_w)
    blue, orange = "rgb(8,119,189)", "rgb(245,147,34)"
    for l, G in enumerate(grad_w, start=1):
        for (j, k), g in np.ndenumerate(G):
            drawn = page.evaluate(f"""() => {{ const e = App.S.edges[{l}][{j}][{k}];
                return [e.getAttribute('stroke'), Number(e.getAttribute('stroke-width'))]; }}""")
            assert drawn[0] == (blue if g >= 0 else orange)
            assert drawn[1] == pytest.approx(0.5 + 7.5 * abs(g) / top, abs=0.01)
    deltas = page.evaluate("App.S.nodes[1].map(n => Number(n.dataset.delta))")
    np.testing.assert_allclose(deltas, grad_b[0], rtol=1e-9)
    # choose an edge from the keyboard: its chain rule on the picked points, true as shown, and its check
    page.get_by_label("Training points", exact=True).fill("2,3,5")
    page.get_by_label("Training points", exact=True).press("Enter")
    page.locator('[data-edge="2-0-1"]').focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#edge-panel [data-q=chain]")
    status, r = running.request(f"/api/explain?id={sid}", {"points": [1, 2, 4], "learning_rate": 0.3})
    line = page.locator("#edge-panel [data-q=chain]").text_content()
    assert line.startswith("∂C/∂W_2[1,2] = (1/m) Σ_i δ_2[1] a_1[2] = (1/3)·(") and check(line)[0] >= 2
    bp3 = next(s for s in r["stages"] if s["kind"] == "bp3" and s["layer"] == 2)
    assert line == bp3["items"][1][0]
    numeric = r["layers"][1]["dC_dW_numeric"][0][1]
    assert f"= {numeric:.8f}; relative error" in page.locator("#edge-panel [data-q=check]").text_content()
    assert page.locator("#autoplay").text_content() == "Play steps"  # Enter chose the edge, nothing else
    # a click chooses another
    page.locator('[data-edge="1-3-0"]').click(force=True)
    page.wait_for_function(
        "document.querySelector('#edge-panel [data-q=chain]').textContent.startsWith('∂C/∂W_1[4,1]')"
    )


def test_parity_reset_seed_features_discretize_and_scale(page, running):
    sid = open_page(page, running, "#dataset=circle&layers=3&activations=tanh")
    first = running.playground.sessions[sid]
    W0, points = first.net.weights[0].copy(), first.raw_train.copy()
    # Reset draws new random weights (the weights seed, shown and in the link, counts up); the data stay
    page.get_by_role("button", name="Reset").click()
    page.wait_for_function("App.S.id !== '%s'" % sid)
    assert page.get_by_label("Weights seed", exact=True).input_value() == "1" and "weights_seed=1" in page.url
    second = running.playground.sessions[page.evaluate("App.S.id")]
    assert not np.allclose(second.net.weights[0], W0) and np.array_equal(second.raw_train, points)
    before = page.evaluate("App.S.id")
    page.get_by_label("Weights seed", exact=True).fill("0")
    page.get_by_label("Weights seed", exact=True).press("Enter")
    page.wait_for_function(f"App.S.id !== '{before}'")
    third = running.playground.sessions[page.evaluate("App.S.id")]
    np.testing.assert_array_equal(third.net.weights[0], W0, err_msg=f"{first.settings} {third.settings} {third.epoch}")
    # feature inputs are units switched on and off on the network
    page.get_by_role("button", name="Input feature sin x1").click()
    page.wait_for_function("App.S.data.features.includes('sin x1')")
    assert page.locator("[data-node^='0-']").count() == 3
    assert page.get_by_role("button", name="Input feature sin x1").get_attribute("aria-pressed") == "true"
    page.get_by_role("button", name="Input feature x1", exact=True).click()
    page.wait_for_function("App.S.data.features.join() === 'x2,sin x1'")
    assert running.playground.sessions[page.evaluate("App.S.id")].net.sizes[0] == 2
    # discretize output: the binary map holds two colours only; a colour scale and axis numbers beside it
    colours = """discrete => { const f = App.S.frame, n = App.S.data.grid ** 2,
        colour = Draw.outputColour(f.maps.output, discrete);
        const s = new Set(); for (let i = 0; i < n; i++) s.add(colour(i).join()); return s.size; }"""
    assert page.evaluate(colours, False) > 2
    page.get_by_label("Discretize output", exact=True).check()
    assert "discretize=1" in page.url and page.evaluate(colours, True) == 2
    scale = page.evaluate("() => { const d = document.getElementById('scale').getContext('2d')"
                          ".getImageData(0, 0, 300, 30).data; let ink = 0; for (let i = 3; i < d.length; i += 4)"
                          " ink += d[i] > 0; return ink; }")
    assert scale > 1000
