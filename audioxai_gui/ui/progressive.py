"""Long recordings explained the way they are looked at: the windows in view first, the rest behind.

For a clip of several model windows the window's explain job runs through here: each model's ``Timeline``
(explain/timeline.py) is filled a batch at a time, the windows in view first (the view is read before every
batch, so the newest view wins); what is done is drawn as soon as the view's windows are complete and then
every few seconds; Cancel keeps it on screen and Resume computes only what is missing; the on-disk cache
(explain/cache.py) makes a reopened recording appear at once. One progress figure covers both models, so it
never goes backwards, and comes with an estimate of the time left.
"""

from __future__ import annotations

import time

from PySide6 import QtCore, QtWidgets

from ..glossary import tip
from .clip import prepare_display

PUBLISH_EVERY_S = 3.0
"""At most this often (besides when the view's windows are complete) is the partial result redrawn."""
PUBLISH_BEHIND_S = 15.0
"""...and this often once a zoomed-in view is complete: what fills in behind it lies off screen (a view moved
there is drawn as soon as its windows are done), and every redraw of an hour-long recording costs the GUI and
the workers about half a second of CPU (explaining the hour in the window, first minute: 64-72 windows/s with
3 s, 86-98 with 15 s)."""
PUBLISH_COST_FACTOR = 4.0
"""...and never more often than this many times what preparing the last drawing cost, so drawing stays a
small share of the work on an hour-long file."""
PUBLISH_MARGIN_VIEWS = 3.0
"""While the fill goes on, a partial result covers the explained stretch only this many view widths (at least
PUBLISH_MARGIN_MIN_S) to each side of the view: what lies further off is drawn when the view moves there, after
Cancel, and when all is done. Drawing the whole explained stretch of an hour every few seconds (projection, maps,
pyramids) cost a third of the time the hour took."""
PUBLISH_MARGIN_MIN_S = 60.0
VIEW_WAIT_MAX_WINDOWS = 64
"""A view holding more model windows than this (about half a minute) is drawn as it fills, every few seconds,
instead of once complete: waiting for all of a zoomed-out hour showed nothing for minutes."""
VIEW_FIRST_LIMIT_S = 10.0
"""The clip's full display spectrogram waits at most this long for the explanations to draw the view."""


def format_eta(seconds: float) -> str:
    """Short enough for the status bar's progress bar: "40 s left", "7 min left", "1 h 05 min left"."""
    if seconds < 60:
        return f"{seconds:.0f} s left"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min left"
    return f"{seconds // 3600:.0f} h {seconds % 3600 / 60:02.0f} min left"


class RecordingExplainer(QtCore.QObject):
    """Per recording and model: the timeline, its cache entry, and the job that fills it (see module doc)."""

    partial = QtCore.Signal(str, object, object)  # role, run token, ExplanationDisplay

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.view: tuple[float, float] | None = None
        self.timelines: dict[str, object] = {}  # role -> Timeline of the current clip and rules
        self.keys: dict[str, str] = {}
        self._tokens: dict[str, object] = {}
        self._started: float | None = None
        self._done_at_start = 0
        self._shown = 0.0
        self._awaiting_view: set[str] = set()  # roles whose running job has not drawn the view yet
        self.cache = None
        self._cpu_share = None  # explain.cpu_share.CpuShare, made with the first job (it needs torch)
        window.stack.time_view.sigXRangeChanged.connect(self._view_moved)
        self.partial.connect(self._show_partial)
        self.resume_button = QtWidgets.QPushButton("Resume")
        self.resume_button.setToolTip(tip("resume"))
        self.resume_button.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.resume_button.hide()
        self.resume_button.clicked.connect(self.resume)
        window.statusBar().addPermanentWidget(self.resume_button)
        window.clipShown.connect(self._new_clip)

    # --- state --------------------------------------------------------------------------------
    def _new_clip(self, clip) -> None:
        self.timelines, self.keys, self._tokens = {}, {}, {}
        self._awaiting_view = set()
        self._started = None
        self._shown = 0.0
        self.resume_button.hide()

    def _view_moved(self, *_) -> None:
        start, end = self.window.stack.time_range()
        self.view = (float(start), float(end))

    def progress(self) -> float:
        """Both models together: explained windows over all windows (never goes backwards)."""
        timelines = list(self.timelines.values())
        total = sum(t.n_windows for t in timelines)
        return sum(int(t.done.sum()) for t in timelines) / total if total else 0.0

    def shown_progress(self, reported: float) -> float:
        """The figure to show for a progress report: what the job had done when it reported (so every batch shows,
        however late the report arrives), never more than is done now (a drawn partial result reports 1.0), and
        never less than was shown before."""
        self._shown = max(self._shown, min(reported, self.progress()))
        return self._shown

    def eta_text(self) -> str:
        timelines = list(self.timelines.values())
        done = sum(int(t.done.sum()) for t in timelines)
        missing = sum(t.n_windows for t in timelines) - done
        fresh = done - self._done_at_start
        if self._started is None or fresh <= 0 or missing <= 0:
            return ""
        rate = fresh / (time.perf_counter() - self._started)
        return format_eta(missing / rate)

    def wait_for_view(self, cancelled, limit_s: float = VIEW_FIRST_LIMIT_S) -> None:
        """Block a worker until every running explanation has drawn the view (or ``limit_s``): the clip's full
        display spectrogram waits here, so on two cores the view's relevance does not share them with an hour's
        image (the overview and tiles cover the view meanwhile)."""
        deadline = time.perf_counter() + limit_s
        while self._awaiting_view and not cancelled() and time.perf_counter() < deadline:
            time.sleep(0.05)

    # --- the job ------------------------------------------------------------------------------
    def timeline_for(self, role: str, model, clip, target: int | None, composite: str):
        """The role's timeline for these rules: the current one if the rules are unchanged (Resume), else new."""
        from ..explain.timeline import Timeline

        composite = composite or model.card.default_composite
        current = self.timelines.get(role)
        if (
            current is not None
            and current.card is model.card
            and current.composite == composite
            and current.target == target
            and current.plan.n_samples == len(clip.samples_at(model.card.sample_rate))
        ):
            return current
        timeline = Timeline.create(model.card, len(clip.samples_at(model.card.sample_rate)), composite, target)
        self.timelines[role] = timeline
        self._shown = 0.0  # other rules: the count starts again
        self.keys.pop(role, None)
        return timeline

    def job(self, role: str, model, clip, target: int | None, composite: str, grid):
        """A TaskRunner job explaining ``clip`` with ``model`` progressively; returns the full display."""
        from ..explain.cache import ExplanationCache
        from ..explain.cpu_share import CpuShare
        from ..explain.engine import ExplanationCancelled
        from ..explain.timeline import explain_timeline

        engine = self.window.backend.engine
        if self._cpu_share is None:
            self._cpu_share = CpuShare()  # here, on the GUI thread: torch's default thread count is the CPU's
        cpu_share = self._cpu_share
        timeline = self.timeline_for(role, model, clip, target, composite)
        samples = clip.samples_at(model.card.sample_rate)
        token = self._tokens[role] = object()
        self._awaiting_view.add(role)
        cache = self.cache if self.cache is not None else ExplanationCache()
        if self._started is None:
            self._started = time.perf_counter()
            self._done_at_start = sum(int(t.done.sum()) for t in self.timelines.values())
        self.resume_button.hide()

        def run(progress, cancelled):
            if role not in self.keys:
                self.keys[role] = cache.key(clip.digest(model.card.sample_rate), timeline)
                if not timeline.done.all() and cache.load(self.keys[role], timeline):
                    self._done_at_start = sum(int(t.done.sum()) for t in self.timelines.values())
            saved = _cached_state(timeline)

            def save() -> None:
                """Write the cache entry unless it already holds all this has (a warm reopen of an hour would
                rewrite hundreds of MB for nothing)."""
                if _cached_state(timeline) != saved:
                    cache.save(self.keys[role], timeline)

            state = {"published": 0.0, "cost": 0.0, "view": None}

            def publish(near_view: bool = True) -> None:
                """Draw what is done: only the stretch the explained windows cover is computed (the view first,
                then outwards from it), so a partial result costs what its part of the recording costs;
                ``near_view``: only its part around the view (PUBLISH_MARGIN_VIEWS)."""
                started = time.perf_counter()
                span = timeline.done_span(self.view)
                if near_view and span is not None:
                    span = around_view(span, self.view, model.card.sample_rate)
                explanation = timeline.explanation(samples, grid, span)
                display = prepare_display(explanation, clip, cancelled, wait_for_image=False, span=span)
                state["published"], state["cost"] = time.perf_counter(), time.perf_counter() - started
                self.partial.emit(role, token, display)

            def on_batch(_timeline) -> None:
                cpu_share.fit()  # the other model may have finished: take its cores
                progress(self.progress())
                view = self.view
                in_view = timeline.windows_in(view) if view is not None else None
                view_done = in_view is not None and timeline.done[in_view].all()
                wide_view = in_view is not None and in_view.size > VIEW_WAIT_MAX_WINDOWS
                since = time.perf_counter() - state["published"]
                if view_done and state["view"] != view:
                    state["view"] = view
                    publish()
                    self._awaiting_view.discard(role)
                elif (
                    # not while windows in a narrow view are missing: the next batches are theirs, and drawing a
                    # part of it first costs about as much as explaining it; a wide view fills as it goes
                    (view is None or view_done or wide_view)
                    and since
                    > max(
                        PUBLISH_BEHIND_S if view_done and not wide_view else PUBLISH_EVERY_S,
                        PUBLISH_COST_FACTOR * state["cost"],
                    )
                    and not timeline.done.all()
                ):
                    publish()

            try:
                try:
                    with cpu_share.taking_part():
                        explain_timeline(engine, model, samples, timeline, lambda: self.view, cancelled, on_batch)
                except ExplanationCancelled:
                    save()
                    if self._tokens.get(role) is token:
                        publish(near_view=False)  # Cancel keeps all that is done on screen
                    raise
                explanation = timeline.explanation(samples, grid)  # a waveform timeline keeps its projection
                save()
                progress(self.progress())
                # The hour's display spectrogram has its own job (overview and tiles until then); only a map on
                # another grid than the window's needs its own background here.
                return prepare_display(explanation, clip, cancelled, wait_for_image=explanation.grid != grid)
            finally:  # only now (a cached hour is drawn from here): the display spectrogram waits for this
                self._awaiting_view.discard(role)

        return run

    def _show_partial(self, role: str, token, display) -> None:
        if self._tokens.get(role) is not token or self.window.clip is None:
            return  # a newer run (other rules, other clip) has started since
        self.window._show_explanation(role, display)
        if not all(t.done.all() for t in self.timelines.values()) and not self.window.runner.pending("explain:"):
            self.resume_button.show()

    def show_progress(self) -> None:
        """Progress bar text: the percentage and, once there is a rate, the time left."""
        eta = self.eta_text()
        self.window.progress.setFormat("explaining %p%" + (f" · {eta}" if eta else ""))
        self.window.progress.setToolTip("Both models together: windows explained so far, and the time left")

    def resume(self) -> None:
        self.resume_button.hide()
        self._started = None
        self.window.explain_all()

    def cancelled(self) -> None:
        """After Cancel: what is done stays on screen (published by the job); offer Resume if anything is left."""
        self._started = None
        self._awaiting_view = set()
        if self.timelines and not all(t.done.all() for t in self.timelines.values()):
            self.resume_button.show()


def around_view(span: tuple[int, int], view: tuple[float, float] | None, rate: int) -> tuple[int, int]:
    """``span`` (samples at ``rate``) cut to the view and PUBLISH_MARGIN_VIEWS view widths to each side; the
    whole span when there is no view or the view lies outside it."""
    if view is None:
        return span
    margin = max(PUBLISH_MARGIN_MIN_S, PUBLISH_MARGIN_VIEWS * (view[1] - view[0]))
    first, stop = max(span[0], int((view[0] - margin) * rate)), min(span[1], int((view[1] + margin) * rate))
    return (first, stop) if first < stop else span


def _cached_state(timeline) -> tuple[int, bool]:
    """What a cache entry of ``timeline`` holds: its explained windows and whether its projected maps are in it."""
    return int(timeline.done.sum()), timeline.maps is not None
