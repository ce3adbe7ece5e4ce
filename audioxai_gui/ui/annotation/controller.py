"""Annotating relevance regions by hand in the analysis window, and measuring how well each model agrees.

The controller joins the window's public parts (pane stack, clip, explanations, playback, menus) to the
Qt-free annotation core: every edit goes through the RegionDocument (so undo/redo and autosave see it),
and the overlay and table only redraw from the document's change notifications.

The window has no "new clip" or "new explanation" signal, so the controller looks at ``window.clip``
and ``window.displays`` on its autosave tick and whenever the pane stack reports a selection change
(the window re-applies the selection after every explanation, so results show up at once).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from ...annotate.document import GEOMETRY_FIELDS, DocumentChange, RegionDocument
from ...annotate.formats import FORMATS, AnnotationFormatError, read_regions, write_regions
from ...annotate.measures import MeasureError, RelevanceMap
from ...annotate.regions import Region, RegionError
from ...annotate.sidecar import Autosaver, SidecarError, load_sidecar
from ...batch import failure_message, shown_path
from ..dock_layout import fit_bottom_dock
from ..pane_stack import Selection
from ..worker import TaskRunner
from .edit_dialog import RegionEditDialog
from .region_items import RegionOverlay
from .region_measures import EMPTY_MEASURES, compute_measures, export_columns
from .region_table import RegionTablePanel
from .suggest_dialog import SuggestDialog

# Only autosave polls (new clips and explanations arrive as window signals); with the Autosaver's
# 0.5 s debounce and 2 s cap, edits are on disk within 2 s.
AUTOSAVE_POLL_MS = 250
MEASURE_DELAY_MS = 60  # gather a burst of edits (a drag) into one recomputation
MEASURE_CHANNEL = "annotation:measures"
SIDECAR_CHANNEL = "annotation:sidecar"
LOADING_TEXT = "loading the saved regions of"
REVEAL_MARGIN = 0.15  # share of a region's length shown on each side when the table zooms to it
EDGE_TOLERANCE = 1e-9
DOCK_HEIGHT = 230  # the table's rows and all four agreement rows visible without scrolling


def _selection_of(region: Region) -> Selection:
    return Selection(region.start, region.end, region.low_hz, region.high_hz)


def _same_edges(a, b) -> bool:
    for name in GEOMETRY_FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        if (x is None) != (y is None) or (x is not None and not math.isclose(x, y, abs_tol=EDGE_TOLERANCE)):
            return False
    return True


class AnnotationController(QtCore.QObject):
    """The annotation feature of one MainWindow: tool mode, region items, table dock, files and suggestions."""

    def __init__(self, window):
        super().__init__(window)
        self.window, self.stack = window, window.stack
        self.document = RegionDocument()
        self._unsubscribe = self.document.subscribe(self._on_document_changed)
        self.autosaver: Autosaver | None = None
        self.selected_id: str | None = None
        self.measures = EMPTY_MEASURES
        self.clip = None
        self._explanations: tuple = ()
        self._drag: tuple[str, str] | None = None  # (region id, "move" | "resize") of the item drag in progress
        self._save_failing = False
        self.loading: tuple | None = None  # (clip, document) while the clip's saved regions are read in a worker
        # A thread of its own: on the window's runner the read would queue behind a long clip's explanations.
        self.sidecar_jobs = TaskRunner(self, threads=1)
        self.suggest_dialog: SuggestDialog | None = None

        self.overlay = RegionOverlay(self.stack)
        self.proposals = RegionOverlay(self.stack, "proposal")
        self.overlay.regionClicked.connect(self._on_region_clicked)
        self.overlay.regionEdited.connect(self._on_region_edited)
        self.table = RegionTablePanel()
        self.table.regionActivated.connect(lambda region_id: self.select(region_id, zoom=True))
        self.table.editRequested.connect(self.edit_region)
        self.dock = QtWidgets.QDockWidget("Regions", window)
        self.dock.setObjectName("Regions")
        self.dock.setWidget(self.table)
        window.addDockWidget(QtCore.Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        fit_bottom_dock(window, self.dock)  # empty: one line
        self.table.emptyChanged.connect(
            lambda empty: fit_bottom_dock(window, self.dock, None if empty else DOCK_HEIGHT)
        )
        self._build_actions()

        for pane in self.stack.panes.values():
            pane.view.selectionDragged.connect(self._on_selection_dragged)  # after the stack's own handler
        self.stack.selectionChanged.connect(self._on_selection_changed)
        self.stack.cursorMoved.connect(lambda _: self.sync())
        window.clipShown.connect(lambda _: self.sync())
        window.explanationShown.connect(lambda _: self.sync())
        self._tick = QtCore.QTimer(self, interval=AUTOSAVE_POLL_MS)
        self._tick.timeout.connect(self._on_tick)
        self._tick.start()
        self._measure_timer = QtCore.QTimer(self, singleShot=True, interval=MEASURE_DELAY_MS)
        self._measure_timer.timeout.connect(self._submit_measures)
        window.installEventFilter(self)  # flush the sidecar when the window closes
        QtWidgets.QApplication.instance().aboutToQuit.connect(self.flush)
        self._update_actions()

    # --- menus, toolbar and keys ------------------------------------------------------------
    def _action(self, menu: QtWidgets.QMenu, text: str, slot, shortcut=None, checkable=False) -> QtGui.QAction:
        action = QtGui.QAction(text, self.window)
        if shortcut is not None:
            action.setShortcut(QtGui.QKeySequence(shortcut))
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        menu.addAction(action)
        self.window.addAction(action)  # shortcuts work while a dock has focus
        return action

    def _build_actions(self) -> None:
        bar = self.window.menuBar()
        edit_menu = QtWidgets.QMenu("&Edit", self.window)
        menus = bar.actions()
        if len(menus) > 1:
            bar.insertMenu(menus[1], edit_menu)  # after File, where editors keep it
        else:
            bar.addMenu(edit_menu)
        self.undo_action = self._action(edit_menu, "&Undo", lambda: self.document.undo(), "Ctrl+Z")
        self.redo_action = self._action(edit_menu, "&Redo", lambda: self.document.redo(), "Ctrl+Shift+Z")

        menu = bar.addMenu("&Annotate")
        self.annotate_action = self._action(menu, "&Annotate mode (drag makes a region)", self._on_mode, "A", True)
        self.annotate_action.setToolTip("Annotate: a drag on the waveform makes a time region, on a spectrogram a box")
        self._action(menu, "Region from &selection", self.add_from_selection, "Ctrl+B")
        self.edit_action = self._action(menu, "&Edit label and note…", lambda: self.edit_region(self.selected_id), "F2")
        self.delete_action = self._action(menu, "&Delete region", self.delete_selected, "Delete")
        menu.addSeparator()
        self._action(menu, "&Next region", lambda: self.go_to_region(forward=True), "Tab")
        self._action(menu, "&Previous region", lambda: self.go_to_region(forward=False), "Shift+Tab")
        menu.addSeparator()
        self.suggest_action = self._action(menu, "S&uggest regions…", self.open_suggestions)
        import_menu = menu.addMenu("&Import regions")
        export_menu = menu.addMenu("E&xport regions")
        self.import_actions, self.export_actions = {}, {}
        for name, annotation_format in FORMATS.items():
            self.import_actions[name] = self._action(
                import_menu, annotation_format.file_filter, lambda _=False, n=name: self.import_regions(n)
            )
            self.export_actions[name] = self._action(
                export_menu, annotation_format.file_filter, lambda _=False, n=name: self.export_regions(n)
            )
        menu.addSeparator()
        menu.addAction(self.dock.toggleViewAction())

        toolbar = self.window.addToolBar("Annotate")
        toolbar.setObjectName("Annotate toolbar")
        toolbar.addAction(self.annotate_action)
        toolbar.addAction(self.suggest_action)

    def _on_mode(self, on: bool) -> None:
        self.window.notify(
            "Annotate mode on: drag on the waveform for a time region, on a spectrogram for a box (A turns it off)"
            if on
            else "Annotate mode off: a drag selects again"
        )

    def _update_actions(self) -> None:
        document = self.document
        self.undo_action.setEnabled(document.can_undo)
        self.undo_action.setText(f"&Undo {document.undo_text.lower()}".rstrip())
        self.redo_action.setEnabled(document.can_redo)
        self.redo_action.setText(f"&Redo {document.redo_text.lower()}".rstrip())
        for action in (self.delete_action, self.edit_action):
            action.setEnabled(self.selected_id is not None)

    @property
    def annotating(self) -> bool:
        return self.annotate_action.isChecked()

    # --- following the window: clip, explanations, closing ----------------------------------
    def sync(self) -> None:
        """Pick up a newly opened clip (load its regions) and new explanations (re-measure)."""
        if self.window.clip is not self.clip:
            self._open_clip(self.window.clip)
        explanations = tuple(d.explanation if d is not None else None for d in self.window.displays.values())
        if len(explanations) != len(self._explanations) or any(
            new is not old for new, old in zip(explanations, self._explanations, strict=True)
        ):
            self._explanations = explanations
            self._measure_timer.start()

    def _open_clip(self, clip) -> None:
        """Show an empty document for ``clip`` at once and read its saved regions in a worker (a sidecar may hold
        thousands); regions added meanwhile are kept, after the saved ones."""
        self.flush()
        if self.autosaver is not None:
            self.autosaver.stop()
            self.autosaver = None
        self.clip = clip
        self.selected_id = None
        self.table.model.set_time_span(clip.duration if clip is not None else 0.0)
        document = RegionDocument(duration=clip.duration if clip is not None else None)
        backend = self.window.backend
        if backend is not None and backend.task is not None:
            document.task = backend.task.id  # saved with the regions: reopening the file switches to this task
        self._set_document(document)
        if clip is None or clip.path is None:
            return
        self.loading = (clip, document)
        self.window.statusBar().showMessage(f"{LOADING_TEXT} {shown_path(clip.path.name)}…")
        self.sidecar_jobs.submit(
            SIDECAR_CHANNEL,
            lambda progress, cancelled: load_sidecar(clip.path, duration=clip.duration),
            on_done=lambda saved: self._finish_loading(clip, document, saved),
            on_failed=lambda exc: self._finish_loading(clip, document, exc),
        )

    def _finish_loading(self, clip, document: RegionDocument, saved: RegionDocument | BaseException) -> None:
        """Join the saved regions (or the reason they cannot be read) with the regions added while they loaded."""
        if self.loading is None or self.loading[0] is not clip or self.loading[1] is not document:
            return
        self.loading = None
        added_meanwhile = len(document) > 0
        autosave = True
        if isinstance(saved, BaseException):
            # Autosave starts a fresh sidecar only once the unreadable one is safely out of the way.
            autosave = isinstance(saved, SidecarError) and saved.kept_at is not None
            reason = str(saved) if isinstance(saved, SidecarError) else failure_message(clip.path, saved)
            after = "New regions are saved to a fresh file." if autosave else "New regions are not saved."
            self.window.show_problem(
                f"Your saved regions could not be read, so none are shown: {reason}. {after}", dialog=True
            )
        else:
            try:
                document.insert_saved(saved.regions)
            except RegionError as exc:  # an id added meanwhile that the file also holds: practically never
                autosave = False
                message = f"Your saved regions could not be joined with the new ones: {exc}"
                self.window.show_problem(message, dialog=True)
            else:
                status = self.window.statusBar()
                if len(saved):
                    status.showMessage(f"{len(saved):,} saved region(s) loaded", 5000)
                elif status.currentMessage().startswith(LOADING_TEXT):
                    status.clearMessage()
        if autosave:  # the document is still the one shown: a new file settles the load first (_settle_loading)
            self.autosaver = Autosaver(document, clip.path)
            if added_meanwhile:
                self.autosaver.notify_changed()

    def _settle_loading(self) -> None:
        """A load still running when the file changes or the window closes: finish it here (blocking) when regions
        were added meanwhile, so they are saved with the others; otherwise just drop it."""
        if self.loading is None:
            return
        clip, document = self.loading
        self.sidecar_jobs.cancel(SIDECAR_CHANNEL)
        if not len(document):
            self.loading = None
            return
        try:
            saved = load_sidecar(clip.path, duration=clip.duration)
        except Exception as exc:  # noqa: BLE001 - reported by _finish_loading like a load in the worker
            saved = exc
        self._finish_loading(clip, document, saved)

    def _set_document(self, document: RegionDocument) -> None:
        self._unsubscribe()
        self.document = document
        self._unsubscribe = document.subscribe(self._on_document_changed)
        self._redraw()

    def _on_tick(self) -> None:
        if self.autosaver is None:
            return
        try:
            self.autosaver.poll()
        except SidecarError as exc:
            self.window.show_problem(str(exc), dialog=not self._save_failing)  # one dialog, then the status bar
            self._save_failing = True
        else:
            self._save_failing = False

    def flush(self) -> None:
        """Write unsaved regions now (switching files, closing the window, quitting)."""
        self._settle_loading()
        if self.autosaver is None:
            return
        try:
            self.autosaver.flush()
        except SidecarError as exc:
            self.window.show_problem(str(exc), dialog=True)

    def eventFilter(self, watched, event) -> bool:
        if watched is self.window and event.type() == QtCore.QEvent.Type.Close:
            self.flush()
        return False

    # --- drawing ----------------------------------------------------------------------------
    def _fit_dock(self, empty: bool) -> None:
        """No regions: the dock is its one empty-state line, the plots get the room; with regions, the table."""
        fit_bottom_dock(self.window, self.dock, None if empty else DOCK_HEIGHT)

    def _on_document_changed(self, change: DocumentChange) -> None:
        if self.selected_id is not None and self.selected_id not in {r.id for r in self.document}:
            self.selected_id = None
        self._redraw()
        self._measure_timer.start()

    def _redraw(self) -> None:
        regions = self.document.regions
        self.overlay.show(regions, self.selected_id)
        self.table.set_contents(regions, self.measures, self.selected_id)
        selected = self._selected_region()
        if selected is not None and (self.stack.selection is None or not _same_edges(selected, self.stack.selection)):
            self.stack.set_selection(_selection_of(selected))  # the window plays and zooms to the selection
        self._update_actions()

    def _selected_region(self) -> Region | None:
        return self.document.get(self.selected_id) if self.selected_id is not None else None

    def _submit_measures(self) -> None:
        explanations = [e for e in self._explanations if e is not None]
        if self.clip is None or not explanations:
            self._show_measures(EMPTY_MEASURES)
            return
        regions, duration = self.document.regions, self.clip.duration
        self.window.runner.submit(
            MEASURE_CHANNEL,
            lambda progress, cancelled: compute_measures(explanations, regions, duration),
            on_done=self._show_measures,
            on_failed=lambda exc: self.window.show_problem(f"Cannot measure the regions: {exc}"),
        )

    def _show_measures(self, measures) -> None:
        self.measures = measures
        self.table.set_contents(self.document.regions, measures, self.selected_id)

    # --- selecting and navigating -----------------------------------------------------------
    def select(self, region_id: str | None, zoom: bool = False, reveal: bool = False) -> None:
        """Make ``region_id`` the selected region: emphasised, its row highlighted, its span the selection.

        ``zoom`` fits the view to it (table); ``reveal`` moves the cursor to its start and scrolls it into view.
        """
        self.selected_id = region_id
        region = self._selected_region()
        if region is not None and zoom:
            margin = REVEAL_MARGIN * region.duration
            self.stack.set_time_range(region.start - margin, region.end + margin)
        if region is not None and reveal:
            self.stack.set_cursor(region.start)  # clears the selection: set it again below
            self.selected_id = region_id
            start, end = self.stack.time_range()
            if region.start < start or region.end > end:
                width = max(end - start, region.duration * (1 + 2 * REVEAL_MARGIN))
                centre = (region.start + region.end) / 2
                self.stack.set_time_range(centre - width / 2, centre + width / 2)
        self._redraw()

    def go_to_region(self, forward: bool = True) -> None:
        """Tab / Shift+Tab: the next or previous region by start time, from the selected region or the cursor."""
        selected = self._selected_region()
        reference = selected.start if selected is not None else self.stack.cursor_time
        region = self.document.next_region(reference) if forward else self.document.previous_region(reference)
        if region is None:
            where = "after" if forward else "before"
            self.window.statusBar().showMessage(f"no region starts {where} {reference:.3f} s", 3000)
            return
        self.select(region.id, reveal=True)

    def _on_selection_changed(self, selection) -> None:
        selected = self._selected_region()
        if selected is not None and (selection is None or not _same_edges(selected, selection)):
            self.selected_id = None  # the user selected something else: the region is no longer selected
            self.overlay.show(self.document.regions)
            self.table.select(None)
            self._update_actions()
        self.sync()

    def _on_region_clicked(self, region_id: str, double: bool) -> None:
        self.select(region_id)
        if double:
            self.edit_region(region_id)

    # --- editing ----------------------------------------------------------------------------
    def _on_selection_dragged(self, rect, finished: bool) -> None:
        if finished and self.annotating and self.stack.selection is not None:
            self.add_from_selection()

    def add_from_selection(self) -> Region | None:
        """The current selection becomes a region: a time region, or a box when it was drawn on a spectrogram."""
        selection = self.stack.selection
        if self.clip is None or selection is None:
            self.window.show_problem("Select a time range (or a box on a spectrogram) first")
            return None
        low_hz = None if selection.low_hz is None else max(0.0, selection.low_hz)  # the DC bin reaches below 0 Hz
        try:
            region = self.document.add(Region(selection.start, selection.end, low_hz, selection.high_hz))
        except RegionError as exc:
            self.window.show_problem(f"Cannot add the region: {exc}")
            return None
        self.select(region.id)
        return region

    def delete_selected(self) -> None:
        if self.selected_id is not None:
            self.document.remove(self.selected_id)
            self.stack.clear_selection()

    def _on_region_edited(self, region_id: str, edges: dict, finished: bool) -> None:
        """An item drag: the first report starts an undo step, later ones of the same drag extend it."""
        region = self.document.get(region_id)
        changed = {name: value for name, value in edges.items() if not math.isclose(value, getattr(region, name))}
        continuing = self._drag is not None and self._drag[0] == region_id
        if changed:
            if not continuing:
                translated = set(changed) <= {"start", "end"} and math.isclose(
                    edges["end"] - edges["start"], region.duration, abs_tol=EDGE_TOLERANCE
                )
                self._drag = (region_id, "move" if translated else "resize")
            try:
                if self._drag[1] == "move":
                    self.document.move(region_id, dt=edges["start"] - region.start, continuing=continuing)
                else:
                    self.document.resize(region_id, continuing=continuing, **changed)
            except RegionError as exc:
                self.window.show_problem(f"Cannot change the region: {exc}")
                self._redraw()  # put the item back where the document has it
        if finished:
            self._drag = None

    def edit_region(self, region_id: str | None) -> None:
        if region_id is None:
            return
        region = self.document.get(region_id)
        dialog = RegionEditDialog(region, self.class_names(), self.window)
        if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
            return
        changes = {name: value for name, value in dialog.values().items() if value != getattr(region, name)}
        if changes:
            self.document.update(region_id, "Edit label", **changes)

    def class_names(self) -> list[str]:
        backend = self.window.backend
        if backend is None:
            return []
        return list(dict.fromkeys(name for model in backend.models.values() for name in model.card.classes))

    # --- suggestions ------------------------------------------------------------------------
    def propose(self, role: str, top_percent: float, kind: str) -> list[Region]:
        """Suggested regions from ``role``'s time-frequency relevance, within the clip."""
        display = self.window.displays.get(role)
        if display is None or self.clip is None:
            raise MeasureError(f"no {role} model explanation yet: open a file and wait for it")
        explanation, duration = display.explanation, self.clip.duration
        relevance = RelevanceMap(
            explanation.tf_relevance, explanation.frame_times(), explanation.band_frequencies()
        ).cropped(duration)
        from ...annotate.suggest import suggest_regions  # scipy.ndimage: loaded when first asked

        regions = suggest_regions(relevance.values, relevance.times, relevance.freqs, top_percent, kind)
        # The last frame's cell reaches half a hop past its centre, which may be past the end of the audio.
        return [dataclasses.replace(region, end=min(region.end, duration)) for region in regions]

    def open_suggestions(self) -> SuggestDialog:
        if self.suggest_dialog is not None:
            self.suggest_dialog.close()
        self.suggest_dialog = SuggestDialog(self.propose, self.proposals, self.accept_suggestions, self.window)
        self.suggest_dialog.show()
        return self.suggest_dialog

    def accept_suggestions(self, regions: list[Region]) -> None:
        try:
            self.document.add_many(regions, "Accept suggestions")
        except RegionError as exc:
            self.window.show_problem(f"Cannot add the suggestions: {exc}", dialog=True)
        self._update_actions()  # a batch reaches the undo stack after its last change notification

    # --- import and export ------------------------------------------------------------------
    def import_regions(self, format_name: str) -> None:
        """Read a file of another tool; all its regions come in as one undo step, or none on an error."""
        annotation_format = FORMATS[format_name]
        if self.clip is None:
            self.window.show_problem("Open an audio file before importing its regions", dialog=True)
            return
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self.window, f"Import {annotation_format.description}", "", f"{annotation_format.file_filter};;All (*)"
        )
        if not path:
            return
        try:
            result = read_regions(path, format_name, duration=self.clip.duration, strict=True)
            existing = {region.id for region in self.document}
            regions = [self._with_fresh_id(region) if region.id in existing else region for region in result.regions]
            self.document.add_many(regions, f"Import {Path(path).name}")
        except Exception as exc:  # noqa: BLE001 - a format error, a region error, a folder, no memory: all reported
            self.window.show_problem(f"Cannot import: {failure_message(path, exc)}", dialog=True)
            return
        finally:
            self._update_actions()  # a batch reaches the undo stack after its last change notification
        self.window.notify(f"imported {len(regions)} region(s) from {path}", "success")
        if result.warnings:
            self.window.show_problem("Imported with warnings:\n" + "\n".join(result.warnings), dialog=True)

    @staticmethod
    def _with_fresh_id(region: Region) -> Region:
        """The same region under a new id (importing a file twice must not collide)."""
        values = region.to_dict()
        del values["id"]
        return Region(**values)

    def export_regions(self, format_name: str) -> None:
        """Write the regions, with each model's measures as extra columns where the format has columns."""
        annotation_format = FORMATS[format_name]
        if self.clip is None:
            self.window.show_problem("Open an audio file first: there are no regions to export", dialog=True)
            return
        suggested = str(self.clip.path.with_suffix(annotation_format.suffixes[0])) if self.clip.path else ""
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self.window, f"Export {annotation_format.description}", suggested, annotation_format.file_filter
        )
        if not path:
            return
        if not any(path.lower().endswith(suffix.lower()) for suffix in annotation_format.suffixes):
            path += annotation_format.suffixes[0]
        regions = self.document.regions
        explanations = [e for e in self._explanations if e is not None]
        measures = compute_measures(explanations, regions, self.clip.duration) if explanations else EMPTY_MEASURES
        try:
            warnings = write_regions(
                path,
                regions,
                format_name,
                export_columns(measures, regions),
                sample_rate=self.clip.audio.sample_rate,
                duration=self.clip.duration,
            )
        except AnnotationFormatError as exc:
            self.window.show_problem(f"Cannot export: {exc}", dialog=True)
            return
        except Exception as exc:  # noqa: BLE001 - a full disk, a name too long: reported, the regions stay
            self.window.show_problem(f"Cannot export: {failure_message(path, exc)}", dialog=True)
            return
        self.window.notify(f"exported {len(regions)} region(s) to {path}", "success")
        if warnings:
            self.window.show_problem("Exported with losses:\n" + "\n".join(warnings), dialog=True)
