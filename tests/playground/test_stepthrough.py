"""Step through the reference's 2-3-2 example in the browser: every number shown is explain's, to 1e-6."""

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

# Stages of a 2-3-2 network, in order: (kind, layer)
STAGES = [
    ("z", 1),
    ("a", 1),
    ("z", 2),
    ("a", 2),
    ("cost", 2),
    ("bp1", 2),
    ("bp2", 1),
    ("bp3", 2),
    ("bp4", 2),
    ("bp3", 1),
    ("bp4", 1),
    ("update", 2),
]


@pytest.fixture(scope="module")
def reference():
    out = subprocess.run(
        [sys.executable, "-m", "backprop", "explain", "--format", "json"], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def shown_cells(page):
    """[(quantity, layer, i, k, sample, value)] of every number cell of the current stage's table."""
    return page.eval_on_selector_all(
        "#stage [data-q]",
        """cells => cells.map(c => [c.dataset.q, Number(c.dataset.l),
        Number(c.dataset.i), c.dataset.k === undefined ? null : Number(c.dataset.k), Number(c.dataset.s || 0),
        Number(c.textContent)])""",
    )


def expected(ref, q, l, i, k, s):
    if q in ("cost", "cost_after"):
        return ref[q]
    layer = ref["layers"][l - 1]
    if q in ("z", "a", "delta"):
        return layer[q][i][s]
    if q == "dC_dW":
        return layer["dC_dW"][i][k]
    if q == "W_new":
        return layer["W_new"][i][k]
    if q in ("dC_db", "b_new"):
        return layer[q][i]
    raise AssertionError(q)


def check_stage(page, ref, n):
    page.wait_for_function(f"document.getElementById('stage-count').textContent === 'step {n + 1} of {len(STAGES)}'")
    cells = shown_cells(page)
    assert cells, f"stage {n + 1} shows no numbers"
    kind, layer = STAGES[n]
    for q, l, i, k, s, value in cells:
        assert value == pytest.approx(expected(ref, q, l, i, k, s), abs=1e-6), (kind, q, l, i, k)
    wanted = {
        "z": {"z"},
        "a": {"z", "a"},
        "bp1": {"a", "delta"},
        "bp2": {"delta"},
        "bp3": {"dC_dW"},
        "bp4": {"dC_db"},
        "cost": {"cost"},
        "update": {"W_new", "b_new", "cost", "cost_after"},
    }[kind]
    assert {c[0] for c in cells} == wanted
    if kind in ("z", "a", "bp1", "bp2", "bp3", "bp4"):
        assert {c[1] for c in cells} == {layer}
    return cells


def test_step_through_the_worked_example_matches_backprop_explain(page, running, reference):
    page.goto(running.url)
    page.wait_for_function("document.getElementById('epoch').textContent === '0000'")
    page.get_by_role("button", name="Worked example").click()
    seen = 0
    for n in range(len(STAGES)):
        seen += len(check_stage(page, reference, n))
        if STAGES[n][0] == "bp2":  # the equation with the numbers plugged in, for unit 1 of layer 1
            eq = page.locator("#stage .equation").first.text_content()
            assert eq.startswith("δ_1[1] = (Σ_k W_2[k,1] δ_2[k]) · σ'(z_1[1]) = (0.2·")
            assert eq.endswith(f" = {reference['layers'][0]['delta'][0][0]:.6g}")
        if STAGES[n] == ("bp3", 1):  # the finite-difference check of dC/dW_1[2,1]
            page.get_by_role("button", name="Check dC/dW_1[2,1]").click()
            numeric = float(page.locator("#stage [data-q=dC_dW_numeric]").text_content())
            error = float(page.locator("#stage [data-q=dC_dW_error]").text_content())
            assert numeric == pytest.approx(reference["layers"][0]["dC_dW_numeric"][1][0], abs=1e-6)
            assert error < 1e-6
        page.get_by_role("button", name="Next step").click()
    assert seen == 3 + 6 + 2 + 4 + 1 + 4 + 3 + 6 + 2 + 6 + 3 + (12 + 5 + 2)
    # hover shows the unit's numbers from the same JSON
    page.locator('[data-node="1-2"]').hover()
    tip = page.locator("#tooltip").text_content()
    layer = reference["layers"][0]
    for name, value in (("z", layer["z"][2][0]), ("a", layer["a"][2][0]), ("δ", layer["delta"][2][0])):
        assert f"{name}_1[3] = {value:.8f}" in tip


def test_the_whole_step_through_works_from_the_keyboard(page, running, reference):
    page.goto(running.url)
    page.wait_for_function("document.getElementById('epoch').textContent === '0000'")
    for _ in range(80):  # Tab to the Worked example button
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "worked-example":
            break
    else:
        pytest.fail("Tab never reached the Worked example button")
    page.keyboard.press("Enter")
    check_stage(page, reference, 0)
    for n in range(1, 4):
        page.keyboard.press("ArrowRight")
        check_stage(page, reference, n)
    page.keyboard.press("ArrowDown")  # the second output unit
    page.wait_for_function("document.querySelector('#stage tr.current [data-i=\"1\"]') !== null")
    assert page.locator("#stage .equation").text_content().startswith("a_2[2] = sigmoid(z_2[2])")
    page.keyboard.press("ArrowRight")
    check_stage(page, reference, 4)
    page.keyboard.press("ArrowLeft")
    check_stage(page, reference, 3)
    page.keyboard.press(" ")  # Space presses the focused button (Worked example): the example again, step 1
    check_stage(page, reference, 0)
    for _ in range(6):  # Tab on to the Play steps button; Space presses it
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "autoplay":
            break
    page.keyboard.press(" ")  # play the steps
    page.wait_for_function("document.getElementById('stage-count').textContent === 'step 3 of 12'", timeout=5000)
    assert page.evaluate("document.activeElement.textContent") == "Pause steps"
    page.keyboard.press(" ")  # pause, from the same button
    stopped = page.locator("#stage-count").text_content()
    page.wait_for_timeout(1200)
    assert page.locator("#stage-count").text_content() == stopped
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press(" ")  # with no control focused, Space plays the steps
    page.wait_for_function(f"document.getElementById('stage-count').textContent !== '{stopped}'", timeout=5000)
    page.keyboard.press(" ")


def test_vanishing_gradients_view_marks_the_layers(page, running):
    page.goto(running.url)
    page.wait_for_function("document.getElementById('epoch').textContent === '0000'")
    page.get_by_role("button", name="Vanishing gradients").click()
    page.wait_for_selector("[data-vanish='relu-1']")
    sizes = {
        name: [float(page.locator(f"[data-vanish='{name}-{l}']").text_content()) for l in range(1, 8)]
        for name in ("sigmoid", "relu")
    }
    assert sizes["sigmoid"][0] < sizes["sigmoid"][5] / 20  # shrinks on the way back
    assert sizes["sigmoid"][0] / sizes["sigmoid"][5] < sizes["relu"][0] / sizes["relu"][5]
