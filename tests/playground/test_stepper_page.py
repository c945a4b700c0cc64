"""The step-through in Chromium: true arithmetic for several points, current weights, links, keyboard."""

import re

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
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_timeout(3000)
    page.get_by_role("button", name="Pause", exact=True).click()
    epochs = int(page.locator("#epoch").text_content())
    assert epochs > 10 and page.evaluate("window.announced") <= 5


def test_an_upload_success_is_information_not_an_error(page, running, tmp_path):
    open_page(page, running)
    path = tmp_path / "points.csv"
    path.write_text("a,b,y\n" + "\n".join(f"{i / 10},{(i % 7) / 3},{i % 2}" for i in range(30)) + "\n")
    page.get_by_label("Upload CSV").set_input_files(str(path))
    page.wait_for_function("document.getElementById('status').textContent.includes('30 rows')")
    assert "error" not in (page.locator("#status").get_attribute("class") or "")
    assert page.locator("#status").get_attribute("role") == "status"
