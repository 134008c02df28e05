"""Mesa's own SolaraViz headings and buttons in the app's language, and slider values always shown.

Mesa 3.5.1 writes its sidebar's texts ("Controls", "Model Parameters", "Reset", "Step", ...)
as English literals and shows a slider's value only while it is dragged. :func:`install` gives
Mesa's visualisation module a thin stand-in for its ``solara`` module that translates those
literals through :data:`MESA_TEXT` (reading the app's ``language`` reactive, so they switch
with EN / 中文) and turns on ``thumb_label="always"`` on sliders; everything else is passed
through unchanged.
"""

from __future__ import annotations

from typing import Any

import solara

__all__ = ["MESA_TEXT", "install"]

#: Mesa's sidebar texts and their Chinese.
MESA_TEXT: dict[str, str] = {
    "Controls": "控制",
    "Model Parameters": "模型参数",
    "Information": "信息",
    "Command Console": "命令控制台",
    "Reset": "重置",
    "Step": "单步",
    "Play Interval (ms)": "播放间隔（毫秒）",
    "Render Interval (steps)": "渲染间隔（步）",
    "Use Threads": "使用线程",
    "Increase play interval to avoid skipping plots": "增大播放间隔以免跳过图表",
}


class _Translating:
    """Stands in for the ``solara`` module inside ``mesa.visualization.solara_viz``."""

    def __init__(self, real: Any, language: Any) -> None:
        self._real = real
        self._language = language

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def _t(self, text: Any) -> Any:
        if isinstance(text, str) and text in MESA_TEXT and self._language.value == "zh":
            return MESA_TEXT[text]
        return text

    def Card(self, title: Any = None, *args: Any, **kwargs: Any) -> Any:  # noqa: N802 - solara's names
        """``solara.Card`` with a translated title."""
        return self._real.Card(self._t(title), *args, **kwargs)

    def Button(self, *args: Any, **kwargs: Any) -> Any:  # noqa: N802
        """``solara.Button`` with a translated label."""
        if "label" in kwargs:
            kwargs["label"] = self._t(kwargs["label"])
        elif args:
            args = (self._t(args[0]), *args[1:])
        return self._real.Button(*args, **kwargs)

    def Text(self, text: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N802
        """``solara.Text`` translated."""
        return self._real.Text(self._t(text), *args, **kwargs)

    def Checkbox(self, *args: Any, **kwargs: Any) -> Any:  # noqa: N802
        """``solara.Checkbox`` with a translated label."""
        if "label" in kwargs:
            kwargs["label"] = self._t(kwargs["label"])
        return self._real.Checkbox(*args, **kwargs)

    def _slider(self, real: Any, args: tuple, kwargs: dict) -> Any:
        kwargs.setdefault("thumb_label", "always")  # the value stays visible
        if "label" in kwargs:
            kwargs["label"] = self._t(kwargs["label"])
        elif args:
            args = (self._t(args[0]), *args[1:])
        return real(*args, **kwargs)

    def SliderInt(self, *args: Any, **kwargs: Any) -> Any:  # noqa: N802
        """``solara.SliderInt``, value always shown."""
        return self._slider(self._real.SliderInt, args, kwargs)

    def SliderFloat(self, *args: Any, **kwargs: Any) -> Any:  # noqa: N802
        """``solara.SliderFloat``, value always shown."""
        return self._slider(self._real.SliderFloat, args, kwargs)


def install(language: Any) -> None:
    """Translate Mesa's SolaraViz texts by ``language`` (a reactive holding "en" or "zh")."""
    from mesa.visualization import solara_viz

    current = solara_viz.solara
    real = current._real if isinstance(current, _Translating) else solara
    solara_viz.solara = _Translating(real, language)
