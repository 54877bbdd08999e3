"""The page of trace.save_html in headless Chromium: it loads without console errors, shows
one frame at a time, and the slider and the next / previous buttons change the frame and
its caption."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

import nn
from autograd_mini import Tensor, trace_backward

from .browser import console_errors, open_browser

pytestmark = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's dot is not installed"
)


def three_layer_trace():
    rng = np.random.default_rng(0)
    model = nn.Sequential(
        nn.Linear(4, 3, rng=rng),
        nn.Sigmoid(),
        nn.Linear(3, 2, rng=rng),
        nn.Sigmoid(),
        nn.Linear(2, 1, rng=rng),
        nn.Sigmoid(),
    )
    x = Tensor(rng.standard_normal((6, 4)), name="X")
    loss = nn.BCELoss()(model(x), (rng.random((6, 1)) < 0.5).astype(float))
    loss.name = "J"
    return model, trace_backward(loss)  # the model alive: its parameters keep their names


def shown(trace, i: int) -> str:
    """Step i's caption as the browser renders it (runs of spaces collapse)."""
    return " ".join(trace.caption(i).split())


def visible(driver):
    """(step, caption) of the frames the page shows."""
    from selenium.webdriver.common.by import By

    frames = driver.find_elements(By.CSS_SELECTOR, ".am-frame")
    return [
        (int(f.get_attribute("data-step")), f.find_element(By.TAG_NAME, "figcaption").text)
        for f in frames
        if f.is_displayed()
    ]


def running_op_is_in_view(driver) -> bool:
    """Whether the orange op of the shown frame lies inside its scrolled box."""
    return driver.execute_script(
        """
        var frame = document.querySelector(".am-frame.am-current");
        var box = frame.querySelector(".am-box").getBoundingClientRect();
        var now = frame.querySelector(".am-now").getBoundingClientRect();
        return now.top >= box.top && now.bottom <= box.bottom
            && now.left >= box.left && now.right <= box.right;
        """
    )


def test_the_slider_and_the_buttons_move_through_the_steps(tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _model, trace = three_layer_trace()  # (the model alive, for the names)
    page = tmp_path / "trace.html"
    trace.save_html(page)
    with open_browser() as driver:
        driver.get(page.as_uri())
        assert console_errors(driver) == []
        assert visible(driver) == [(0, shown(trace, 0))]
        slider = driver.find_element(By.CSS_SELECTOR, ".am-slider")
        counter = driver.find_element(By.CSS_SELECTOR, ".am-counter")
        assert counter.text == "step 0 (of 0 to 6)"

        slider.click()  # the middle of the track: about half way
        middle = int(slider.get_attribute("value"))
        assert 0 < middle < 6 and visible(driver) == [(middle, shown(trace, middle))]
        slider.send_keys(Keys.HOME)  # the keyboard moves it as a user would
        slider.send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
        assert visible(driver) == [(2, shown(trace, 2))]

        driver.find_element(By.CSS_SELECTOR, ".am-next").click()
        assert visible(driver) == [(3, shown(trace, 3))]
        assert counter.text == "step 3 (of 0 to 6)" and slider.get_attribute("value") == "3"
        svg = driver.find_element(By.CSS_SELECTOR, ".am-frame.am-current svg")
        assert "step 3" in svg.text and "grad norm" in svg.text
        assert running_op_is_in_view(driver)
        driver.find_element(By.CSS_SELECTOR, ".am-previous").click()
        assert visible(driver) == [(2, shown(trace, 2))]
        for _ in range(9):  # past the end it stays at the last step
            driver.find_element(By.CSS_SELECTOR, ".am-next").click()
        assert visible(driver) == [(6, shown(trace, 6))]

        slider.send_keys(Keys.HOME, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
        assert visible(driver) == [(3, shown(trace, 3))]
        screenshot = tmp_path / "trace.png"
        assert driver.save_screenshot(str(screenshot))
        assert console_errors(driver) == []
    assert screenshot.stat().st_size > 10_000


def test_without_javascript_every_frame_is_shown(tmp_path):
    _model, trace = three_layer_trace()  # (the model alive, for the names)
    page = tmp_path / "trace.html"
    trace.save_html(page)
    with open_browser() as driver:
        driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
        driver.get(page.as_uri())
        assert [step for step, _ in visible(driver)] == list(range(7))
        from selenium.webdriver.common.by import By

        assert not driver.find_element(By.CSS_SELECTOR, ".am-controls").is_displayed()
