"""The task selector (window extension): a Models > Task submenu and a toolbar combo listing the tasks found.

A task is a pair of models of one class list (digits, events, any pair in the user's models folder);
choosing one asks the window to load its models, which re-grids the panes, classes and live mode.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from ..glossary import tip
from ..session import ROLES


class TaskSelector(QtCore.QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.menu = QtWidgets.QMenu("&Task", window)
        self.menu.setToolTipsVisible(True)
        window.models_menu.insertMenu(window.models_menu.actions()[0], self.menu)
        window.models_menu.insertSeparator(window.models_menu.actions()[1])
        self.group = QtGui.QActionGroup(window)
        self.combo = QtWidgets.QComboBox()
        self.combo.setToolTip(tip("task"))
        self.combo.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.combo.addItem("loading…")
        self.combo.setEnabled(False)
        self.combo.activated.connect(lambda index: window.choose_task(self.combo.itemData(index)))
        label = QtWidgets.QLabel(" Task ")
        label.setToolTip(tip("task"))
        self.toolbar = QtWidgets.QToolBar("Task", window)
        self.toolbar.setObjectName("Task toolbar")
        self.toolbar.addWidget(label)
        self.toolbar.addWidget(self.combo)
        window.addToolBar(self.toolbar)
        window.backendChanged.connect(self.refresh)

    def refresh(self, backend) -> None:
        """List the backend's tasks and mark the loaded one (also after a failed switch: the old task stays)."""
        current = backend.task.id
        with QtCore.QSignalBlocker(self.combo):
            self.combo.clear()
            for task in backend.tasks.values():
                self.combo.addItem(task.id, task.id)
                self.combo.setItemData(self.combo.count() - 1, _describe(task), QtCore.Qt.ItemDataRole.ToolTipRole)
            self.combo.setCurrentIndex(self.combo.findData(current))
        self.combo.setEnabled(True)
        self.menu.clear()
        for task in backend.tasks.values():
            action = self.menu.addAction(f"{task.id}: {task.title or 'untitled'}")
            action.setToolTip(_describe(task))
            action.setCheckable(True)
            action.setChecked(task.id == current)
            action.triggered.connect(lambda _=False, t=task.id: self.window.choose_task(t))
            self.group.addAction(action)


def _describe(task) -> str:
    models = ", ".join(f"{task.cards[kind][0].name} ({kind})" for kind in ROLES)
    return f"{task.title or task.id}: {models}; {len(task.classes)} classes ({', '.join(task.classes)})"


def install(window) -> TaskSelector:
    return TaskSelector(window)
