"""The page under its own Content-Security-Policy, with class labels that are HTML: shown as text, never run."""

import time

import pytest

pytestmark = pytest.mark.slow

LABELS = ("<img src=x onerror=window.pwned=1>", "<b>bold</b>")


def test_labels_that_are_html_are_shown_as_text_under_the_csp(browser, running):
    rows = "\n".join(f"{i / 10:.1f},{(i % 7) / 10:.1f},{LABELS[i % 2]}" for i in range(40))
    assert running.request("/api/upload", {"name": "evil.csv", "text": "u,v,label\n" + rows})[0] == 200
    context = browser.new_context(viewport={"width": 1280, "height": 800})  # the CSP applies (no bypass)
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(running.url + "#dataset=upload&problem=classification")
        legend = page.locator("#legend")
        for _ in range(200):  # evaluate, not wait_for_function: the CSP forbids the eval the latter uses
            if "<b>" in (legend.text_content() or ""):
                break
            time.sleep(0.05)
        text = legend.text_content()
        assert LABELS[0] in text and LABELS[1] in text, text
        assert page.evaluate("document.querySelectorAll('#legend img, #legend b').length") == 0
        assert page.evaluate("window.pwned === undefined")
        assert page.evaluate("document.querySelector('meta[name=backprop-token]').content") == running.playground.token
        page.click("#step")
        page.wait_for_timeout(300)
    finally:
        context.close()
    assert not errors, f"console errors (a CSP violation is one): {errors}"
