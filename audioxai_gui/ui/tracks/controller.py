"""Prediction tracks extension: both models' decisions over time under the waveform, and what goes with them.

Follows the window's explanations (partial ones too: windows not explained yet have zero probabilities),
makes the class panel follow the window under the cursor, jumps between events and disagreements, exports
events (DCASE, Audacity, Raven), turns them into editable regions, and explains a selection as one clip.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from ...batch import failure_message
from ...explain.segments import EXPORT_FORMATS, SegmentRules, sound_mask, write_segments
from ...glossary import tip
from ..clip import prepare_display, snap_to_frames
from ..time_axis import format_reading
from ..worker import TaskRunner
from .model import ModelTrack, build_track, disagreements, next_time
from .widget import TracksPlot

EXPORT_NAMES = {"dcase": "DCASE event list", "audacity": "Audacity labels", "raven": "Raven selection table"}


def window_view(explanation, index: int):
    """The explanation as seen from one window: that window's probabilities, class and conservation."""
    return dataclasses.replace(
        explanation,
        probabilities=explanation.window_probabilities[index],
        target=int(explanation.window_targets[index]),
        conservation=float(explanation.window_conservation[index]),
    )


class TracksController(QtCore.QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.rules = SegmentRules()
        self.plot = TracksPlot(window.stack.time_view)
        window.stack.add_row_below("waveform", self.plot)
        self.tracks: dict[str, ModelTrack] = {}
        self.marks: list[tuple[float, float]] = []
        self._sound: dict[int, np.ndarray] = {}
        self.selection_explanations: dict = {}
        self._asked: tuple[float, float] | None = None
        # Its own thread: the window's two are held by a long recording's explanations until the whole of it is done.
        self.jobs = TaskRunner(self, threads=1)
        window.clipShown.connect(self._open_clip)
        window.explanationShown.connect(self._explained)
        window.stack.cursorMoved.connect(self.follow_cursor)
        window.stack.selectionChanged.connect(self._selection_changed)
        self.plot.time_viewbox.cursorClicked.connect(window.stack.set_cursor)
        window.stack.widget.scene().sigMouseMoved.connect(self._hover)
        self._build_menu()

    # --- construction -----------------------------------------------------------------------
    def _build_menu(self) -> None:
        menu = self.window.menuBar().addMenu("&Events")
        menu.setToolTipsVisible(True)

        def add(text: str, slot, shortcut: str | None = None, tip: str = "") -> QtGui.QAction:
            action = QtGui.QAction(text, self.window)
            if shortcut:
                action.setShortcut(QtGui.QKeySequence(shortcut))
            action.setToolTip(tip or text)
            action.triggered.connect(slot)
            menu.addAction(action)
            self.window.addAction(action)
            return action

        add("&Next event", lambda: self.jump("event", True), "]", "Move the cursor to the next sound event's onset")
        add("&Previous event", lambda: self.jump("event", False), "[", "Move the cursor to the previous event")
        add("Next &disagreement", lambda: self.jump("disagreement", True), "}", "Where the two models next disagree")
        add("Previous disa&greement", lambda: self.jump("disagreement", False), "{", "The previous disagreement")
        menu.addSeparator()
        add(
            "E&xplain selection as one clip",
            self.explain_selection,
            "Shift+E",
            tip("explain_selection"),
        )
        add(
            "Turn events into &regions",
            self.events_to_regions,
            tip="Add every model's events as editable regions (labelled with the class) to correct them by hand",
        )
        export = menu.addMenu("E&xport events")
        for name in EXPORT_FORMATS:
            action = export.addAction(f"{EXPORT_NAMES[name]} (one file per model)…")
            action.triggered.connect(lambda _=False, n=name: self.choose_export(n))
        self.menu = menu

    # --- data -------------------------------------------------------------------------------
    def _open_clip(self, clip) -> None:
        self.window.class_panel.set_scope("")
        self.tracks, self.marks, self._sound = {}, [], {}
        self.selection_explanations = {}
        self.plot.set_tracks([], [], clip.duration)

    def _sound_at(self, rate: int) -> np.ndarray:
        if rate not in self._sound:
            self._sound[rate] = sound_mask(self.window.clip.samples_at(rate), rate, self.rules.min_level_db)
        return self._sound[rate]

    def _explained(self, role: str) -> None:
        display = self.window.displays.get(role)
        backend = self.window.backend
        if display is None or backend is None or self.window.clip is None:
            return
        explanation = display.explanation
        rate = explanation.sample_rate
        samples = self.window.clip.samples_at(rate)
        done = np.asarray(explanation.window_probabilities).sum(axis=1) > 0
        window_length = backend.models[role].card.input_length
        self.tracks[role] = build_track(
            role, explanation, window_length, samples, self._sound_at(rate), done, self.rules
        )
        self._redraw()
        self.follow_cursor(self.window.stack.cursor_time)

    def _redraw(self) -> None:
        ordered = [self.tracks[role] for role in ("waveform", "spectrogram") if role in self.tracks]
        self.marks = disagreements(ordered[0], ordered[1]) if len(ordered) == 2 else []
        duration = self.window.clip.duration if self.window.clip is not None else 1.0
        self.plot.set_tracks(ordered, self.marks, duration)

    # --- following the cursor ---------------------------------------------------------------
    def follow_cursor(self, seconds: float) -> None:
        """Show, per model, the probabilities of the window under the cursor (long clips only); over silence or an
        unexplained window, the whole recording's."""
        panel, scopes = self.window.class_panel, set()
        for role, track in self.tracks.items():
            display = self.window.displays.get(role)
            if display is None or len(track.times) < 2 or role in self.window.pinned:
                continue  # a selection explained as one clip keeps the panel until it is unpinned
            index = track.window_at(seconds)
            if index is not None and track.has_sound[index]:
                panel.show_explanation(role, window_view(display.explanation, index))
                scopes.add(f"at {self._when(seconds)}")
            else:
                panel.show_explanation(role, display.explanation)
                scopes.add("whole recording (cursor on silence)" if index is not None else "whole recording")
        if scopes:
            panel.set_scope(" / ".join(sorted(scopes)))

    def _when(self, seconds: float) -> str:
        """A time on this recording as its axis reads it ("12.345 s", "1:02.500")."""
        return format_reading(seconds, self.window.clip.duration if self.window.clip is not None else 0.0)

    def describe(self, seconds: float) -> str:
        """Both models' top 3 at ``seconds`` (hover text)."""
        lines = [f"at {self._when(seconds)}"]
        for role, track in self.tracks.items():
            top = track.top_classes_at(seconds)
            label = track.label_at(seconds)
            shown = ", ".join(f"{name} {p:.0%}" for name, p in top) or "–"
            lines.append(f"{role} model: {label}  ({shown})")
        return "\n".join(lines)

    def _hover(self, scene_pos) -> None:
        view = self.plot.time_viewbox
        if not self.tracks or not view.sceneBoundingRect().contains(scene_pos):
            return
        seconds = view.mapSceneToView(scene_pos).x()
        text = self.describe(seconds)
        self.window.readout.setText(text.replace("\n", " · "))
        QtWidgets.QToolTip.showText(QtGui.QCursor.pos(), text)

    # --- navigation -------------------------------------------------------------------------
    def jump(self, kind: str, forward: bool) -> float | None:
        if kind == "event":
            times = [segment.onset for track in self.tracks.values() for segment in track.segments]
        else:
            times = [start for start, _ in self.marks]
        target = next_time(times, self.window.stack.cursor_time, forward)
        if target is None:
            self.window.statusBar().showMessage(f"no {'next' if forward else 'previous'} {kind}", 3000)
            return None
        self.window.stack.go_to(target)
        return target

    # --- events out -------------------------------------------------------------------------
    def events_to_regions(self) -> int:
        annotation = self.window.extensions.get("annotation")
        regions = [segment.to_region(role) for role, track in self.tracks.items() for segment in track.segments]
        if annotation is None or not regions:
            self.window.show_problem("No events to turn into regions yet", dialog=annotation is None)
            return 0
        annotation.accept_suggestions(regions)
        self.window.statusBar().showMessage(f"{len(regions)} event(s) added as regions (Ctrl+Z undoes)", 5000)
        return len(regions)

    def export_events(self, folder: str | Path, format_name: str) -> list[Path]:
        """One file per model: FOLDER/<file name>.<role><format's ending>."""
        clip = self.window.clip
        written = []
        for role, track in self.tracks.items():
            path = Path(folder) / f"{clip.path.name}.{role}{EXPORT_FORMATS[format_name]}"
            rate = self.window.displays[role].explanation.sample_rate
            write_segments(path, track.segments, role, rate, format_name)
            written.append(path)
        return written

    def choose_export(self, format_name: str) -> None:
        if not self.tracks:
            self.window.show_problem("No events yet: open a recording and let the models explain it", dialog=True)
            return
        folder = QtWidgets.QFileDialog.getExistingDirectory(self.window, "Folder for the event files")
        if folder:
            try:
                written = self.export_events(folder, format_name)
            except Exception as exc:  # noqa: BLE001 - a full disk, a bad name, no memory: reported, the tracks stay
                self.window.show_problem(f"Cannot export the events: {failure_message(folder, exc)}", dialog=True)
                return
            self.window.statusBar().showMessage(f"wrote {', '.join(p.name for p in written)}", 8000)

    # --- a selection as one clip ------------------------------------------------------------
    def explain_selection(self) -> None:
        """Explain the selected time range with both models as one clip (one class: the chosen target, else the
        selection's most probable); its maps are drawn over the selection in place of the recording's and the
        class panel shows it, until the selection changes."""
        window, selection = self.window, self.window.stack.selection
        if selection is None or window.clip is None or window.backend is None:
            window.show_problem("Select a time range first (drag on a pane), then explain it")
            return
        clip, backend = window.clip, window.backend
        grid = backend.models["spectrogram"].card.features
        start = snap_to_frames(selection.start, grid)  # the selection's frames land on the recording's
        end = selection.end
        target_class = window.target_class
        composites = dict(window.composites)

        def job(progress, cancelled):
            displays = {}
            for role, model in backend.models.items():
                rate = model.card.sample_rate
                samples = clip.samples_at(rate)[round(start * rate) : round(end * rate)]
                classes = model.card.classes
                explanation = backend.engine.explain(
                    model,
                    samples,
                    target=classes.index(target_class) if target_class in classes else None,
                    composite=composites.get(role),
                    grid=grid,
                    cancelled=cancelled,
                    target_mode="one_class",
                )
                display = prepare_display(explanation, clip, cancelled, start_s=start)
                span = f"{self._when(start)}–{self._when(end)}"
                display.note = " · ".join(filter(None, [f"selection {span} explained as one clip", display.note]))
                displays[role] = display
            return displays

        self._asked = (selection.start, selection.end)
        self.jobs.submit("explain:selection", job, on_done=self._show_selection, on_failed=window.show_problem)
        window.statusBar().showMessage(f"explaining the selection {start:.3f}–{end:.3f} s as one clip…")

    def _show_selection(self, displays: dict) -> None:
        selection = self.window.stack.selection
        if selection is None or (selection.start, selection.end) != self._asked:
            return  # the selection changed (or went away) while it was explained
        self.selection_explanations = {role: display.explanation for role, display in displays.items()}
        for role, display in displays.items():
            self.window.pinned[role] = display
            self.window.draw_explanation(role, display)
            self.window.class_panel.show_explanation(role, display.explanation)
        self.window.class_panel.set_scope(f"selection {self._when(selection.start)}–{self._when(selection.end)}")
        said = ", ".join(f"{role}: {e.classes[e.target]}" for role, e in self.selection_explanations.items())
        self.window.notify(f"selection explained as one clip — {said} (change the selection to go back)", "info")

    def _selection_changed(self, selection) -> None:
        """A new or cleared selection: the recording's maps and the panel's window-by-window view come back."""
        if not self.window.pinned or (selection is not None and (selection.start, selection.end) == self._asked):
            return  # the same selection again (panes re-set it when an axis changes)
        self.window.pinned = {}
        self.selection_explanations = {}
        for role, display in self.window.displays.items():
            if display is not None:
                self.window.draw_explanation(role, display)
                self.window.class_panel.show_explanation(role, display.explanation)
        self.follow_cursor(self.window.stack.cursor_time)
