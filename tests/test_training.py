"""The generic trainer, the augmentations and the ESC-10 loader (on small synthetic stand-ins: fast)."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import torch

from audioxai_gui import cli
from audioxai_gui.classifiers import esc10
from audioxai_gui.classifiers.augment import (
    Augmentations,
    MixBackground,
    RandomFilter,
    RandomGain,
    SpecAugmentMasks,
    WhiteNoise,
    random_window,
)
from audioxai_gui.classifiers.events import event_config, make_event_card
from audioxai_gui.classifiers.training import Evaluation, _targets, clip_windows

RATE = 16000


def _write_esc10(root, clips):
    """A miniature ESC-10 folder: (class folder, file name, seconds, author, licence) per clip."""
    rows = ["file,class,fold,freesound_url,author,licence"]
    rng = np.random.default_rng(0)
    for folder, name, seconds, author, licence in clips:
        (root / folder).mkdir(parents=True, exist_ok=True)
        samples = 0.3 * rng.standard_normal(int(seconds * 44100)).astype(np.float32)
        sf.write(root / folder / name, samples, 44100, format="OGG", subtype="VORBIS")
        fid = name.split("-")[1]
        rows.append(
            f"{folder}/{name},{folder},{name[0]},http://www.freesound.org/people/{author}/sounds/{fid}/,{author},{licence}"
        )
    (root / "manifest.csv").write_text("\n".join(rows) + "\n")


@pytest.fixture
def mini_esc10(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = tmp_path / "esc10"
    _write_esc10(
        root,
        [
            ("001 - Dog bark", "1-100032-A.ogg", 3.6, "nfrae", "CC0"),
            ("002 - Rain", "4-181708-B.ogg", 7.2, "Heigh-hoo", "CC-BY"),
        ],
    )
    return root


def test_esc10_loader_crops_or_pads_to_5s_with_folds_labels_and_credits(mini_esc10, tmp_path):
    clips = esc10.load_esc10(mini_esc10, RATE)
    assert [len(c.samples) for c in clips] == [5 * RATE, 5 * RATE]
    assert [(c.label, c.fold, c.author, c.licence) for c in clips] == [
        (0, 1, "nfrae", "CC0"),
        (1, 4, "Heigh-hoo", "CC-BY"),
    ]
    short = clips[0].samples
    assert np.abs(short[: int(3.5 * RATE)]).max() > 0.1 and np.abs(short[int(3.7 * RATE) :]).max() == 0.0
    assert np.abs(clips[1].samples[-RATE:]).max() > 0.1  # the 7.2 s clip is cropped, not padded
    assert esc10.esc10_classes(mini_esc10) == ["Dog bark", "Rain"]
    assert len(list((tmp_path / "cache" / "audioxai" / "esc10").glob("*.npy"))) == 2
    again = esc10.load_esc10(mini_esc10, RATE)  # from the cache: the same samples
    assert all(np.array_equal(a.samples, b.samples) for a, b in zip(clips, again, strict=True))
    credits = esc10.credits_markdown(mini_esc10)
    assert "001 - Dog bark/1-100032-A.ogg | Dog bark | 1 | nfrae | CC0" in credits


def test_esc10_fold_comes_from_the_file_name(mini_esc10):
    assert esc10.fold_of("001 - Dog bark/3-12345-C.ogg") == 3
    with pytest.raises(ValueError, match="not an ESC-10 file name"):
        esc10.fold_of("dog.ogg")
    manifest = mini_esc10 / "manifest.csv"
    manifest.write_text(
        manifest.read_text().replace("1-100032-A.ogg,001 - Dog bark,1", "1-100032-A.ogg,001 - Dog bark,2")
    )
    with pytest.raises(ValueError, match="fold 2 in manifest.csv but 1 in the name"):
        esc10.load_esc10(mini_esc10, RATE)


def test_missing_esc10_names_the_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="no ESC-10 manifest"):
        esc10.load_esc10(tmp_path, RATE)


def test_random_window_never_lands_in_the_padding():
    rng = np.random.default_rng(1)
    clip = np.zeros(5 * RATE, dtype=np.float32)
    clip[: int(2.5 * RATE)] = 0.5  # 2.5 s of sound, then digital silence
    for _ in range(20):
        window = random_window(clip, RATE, rng)
        assert window.shape == (RATE,) and np.all(window == 0.5)
    short = np.full(RATE // 4, 0.5, dtype=np.float32)
    starts = {int(np.flatnonzero(random_window(short, RATE, rng))[0]) for _ in range(10)}
    assert len(starts) > 1  # a short clip moves around inside the window


def test_waveform_augmentations_keep_shapes_and_do_what_they_say():
    rng = np.random.default_rng(2)
    batch = rng.uniform(-0.5, 0.5, size=(8, RATE)).astype(np.float32)
    peaks = np.abs(RandomGain((-20.0, -10.0))(batch.copy(), rng)).max(axis=1)
    assert np.all(peaks <= 10 ** (-10 / 20) + 1e-6) and np.all(peaks >= 10 ** (-20 / 20) - 1e-6)
    assert np.allclose(RandomFilter(1.0, 0.0)(batch.copy(), rng), batch, atol=1e-5)  # 0 dB: unchanged
    filtered = RandomFilter(1.0, 12.0)(batch.copy(), rng)
    assert filtered.shape == batch.shape and not np.allclose(filtered, batch)
    other = [np.full(2 * RATE, 0.25, dtype=np.float32)]
    mixed = MixBackground(other, 1.0, (20.0, 20.0))(batch.copy(), rng)
    added = mixed - batch  # the other clip at 20 dB below each window's power
    ratio = (batch**2).mean(axis=1) / (added**2).mean(axis=1)
    assert np.allclose(10 * np.log10(ratio), 20.0, atol=0.01)
    noisy = WhiteNoise(1.0, (10.0, 10.0))(batch.copy(), rng)
    assert np.allclose(10 * np.log10((batch**2).mean(axis=1) / ((noisy - batch) ** 2).mean(axis=1)), 10.0, atol=0.5)
    pipeline = Augmentations(waveform=[RandomGain(), WhiteNoise()])
    windows = pipeline.windows([np.ones(3 * RATE, np.float32)] * 4, RATE, rng)
    assert windows.shape == (4, RATE) and windows.dtype == np.float32 and np.abs(windows).max() <= 1.0
    assert "gain" in pipeline.describe() and "white noise" in pipeline.describe()


def test_spec_augment_masks_set_whole_bands_and_frames_to_silence():
    rng = np.random.default_rng(3)
    inputs = torch.ones(6, 1, 64, 101)
    masked = SpecAugmentMasks(freq_masks=1, max_bands=8, time_masks=0)(inputs, rng)
    assert masked.shape == inputs.shape and float(inputs.min()) == 1.0  # the input itself is left alone
    for row in masked[:, 0]:
        silent_bands = (row == 0).all(dim=1).sum()
        assert silent_bands <= 8 and (row == 0).sum() == silent_bands * 101
    masked = SpecAugmentMasks(freq_masks=0, time_masks=2, max_frames=10)(inputs, rng)
    assert all((row == 0).all(dim=0).sum() <= 20 for row in masked[:, 0])


def test_clip_windows_follow_the_engine_and_targets_are_distributions():
    card = make_event_card(event_config("spectrogram"), "probe", [str(i) for i in range(10)])
    windows = clip_windows(np.ones(5 * RATE, np.float32), card)
    assert windows.shape == (9, RATE)  # a 5 s clip: nine 1 s windows at 50 % overlap
    targets = _targets([3, 7], 10, 0.1, silent_rows=1)
    assert torch.allclose(targets.sum(dim=1), torch.ones(3))
    assert float(targets[0, 3]) == pytest.approx(0.91) and torch.allclose(targets[2], torch.full((10,), 0.1))
    evaluation = Evaluation.from_predictions(np.array([0, 0, 1]), np.array([0, 1, 1]), 2)
    assert evaluation.accuracy == pytest.approx(2 / 3) and evaluation.confusion.tolist() == [[1, 1], [0, 1]]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--task", "nope", "--model", "waveform"], "no training recipe for task 'nope'"),
        (["train", "--task", "digits", "--model", "waveform", "--folds", "5"], "--folds does not apply"),
        (["train", "--task", "events", "--model", "waveform", "--folds", "five"], "not a comma-separated list"),
        (["train", "--task", "events", "--model", "waveform", "--loso"], "--loso does not apply to task 'events'"),
    ],
)
def test_train_command_rejects_bad_options(argv, message, capsys):
    assert cli.main(argv) == cli.EXIT_USAGE
    assert message in capsys.readouterr().err


def test_event_folds_run_separately_merge_into_the_shipped_card(tmp_path, monkeypatch):
    """Folds are seeded alike, so they may run in parts; the card gets the 5-fold summary once all are in."""
    from audioxai_gui.classifiers.card import ModelCard
    from audioxai_gui.classifiers.events import train_events

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = tmp_path / "esc10"
    clips = [(folder, f"{fold}-{100 + fold}{i}-A.ogg", 1.0, "someone", "CC0") for fold in range(1, 6)
             for i, folder in enumerate(["001 - Dog bark", "002 - Rain"])]  # fmt: skip
    _write_esc10(root, clips)
    out = tmp_path / "models"
    assert train_events("spectrogram", out, root, epochs=1, folds=(1, 2), log=lambda _: None) is None
    first = train_events("spectrogram", out, root, epochs=1, folds=(5,), log=lambda _: None)
    assert "cross_validation" not in first.accuracy and first.accuracy["fold5_test_n"] == 2
    card = train_events("spectrogram", out, root, epochs=1, folds=(3, 4), log=lambda _: None)
    cv = ModelCard.load(out / "esc10-alexnet.card.json").accuracy["cross_validation"]
    assert card.accuracy["cross_validation"] == cv and sorted(cv["per_fold"]) == ["1", "2", "3", "4", "5"]
    assert sum(map(sum, cv["confusion"]["counts"])) == 10 and cv["per_fold"]["5"] == first.accuracy["fold5_test"]
    assert "someone" in (out / "esc10-CREDITS.md").read_text()
    assert sorted(p.name for p in out.glob("*.pt")) == ["esc10-alexnet.pt"]  # only the fold-5 model ships
