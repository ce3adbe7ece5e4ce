"""Every term the app shows, explained once in plain words: the Help guide and the tooltips both read this.

Qt-free, so the command line and tests can use the same sentences. A term's ``text`` is what a tooltip
shows; the guide (``GUIDE``) arranges the same terms into sections, so the two never say different things.
"""

from __future__ import annotations

from dataclasses import dataclass

BIAS_FREE_SUFFIX = "-NoBias"  # explain.composites.BIAS_FREE_SUFFIX, repeated so this module never imports torch


@dataclass(frozen=True)
class Term:
    title: str
    text: str


TERMS: dict[str, Term] = {
    # --- the three panes and their colours -------------------------------------------------------------------
    "pane_waveform": Term(
        "Waveform pane",
        "The sound itself (grey) with the waveform model's relevance drawn as bars up and down from zero (each "
        "the strongest sample under that screen column): red where a stretch of samples is evidence for the "
        "explained class, blue where it is evidence against.",
    ),
    "pane_spectrogram": Term(
        "Spectrogram model pane",
        "The spectrogram (grey: how loud each frequency is at each moment) with the spectrogram model's "
        "relevance on top: red cells pushed the model towards the explained class, blue cells away from it.",
    ),
    "pane_waveform_tf": Term(
        "Waveform model, projected",
        "The waveform model's relevance moved onto the same time-frequency grid as the spectrogram model "
        "(DFT-LRP), so you can compare the two models cell by cell. Relevance on (nearly) silent samples has no "
        "frequency to go to: it is left out of this map, and the title says how much of it there is.",
    ),
    "red_blue": Term(
        "Red and blue",
        "Red = evidence for the explained class, blue = evidence against it, white or no colour = no influence. "
        "The stronger the colour, the larger the share of the model's score.",
    ),
    "colour_bar": Term(
        "Colour bar",
        "The relevance value each colour stands for. Values beyond the ends are clipped to the end colour "
        "(see 'Clip at percentile'). When it reads '% of map |R|': each bin's share of the map's total "
        "|relevance|, in percent.",
    ),
    "silent_samples": Term(
        "Silent samples",
        "Relevance on samples that are (nearly) silent — digital silence, zero padding, zero crossings — has no "
        "frequency to go to, so it is not put into the time-frequency map; the map's title says what share of "
        "the relevance lies there. Flat and Box rules put relevance on silence; EpsilonPlus gives it none.",
    ),
    "amplitude": Term(
        "Amplitude",
        "The waveform's value, 1.0 = full scale. The axis fits the loudest sample of the clip, so quiet "
        "recordings are not a flat line; the scale on the left tells the true level.",
    ),
    "relevance_axis": Term(
        "Relevance axis",
        "The scale of the waveform model's relevance bars (red up, blue down), per sample.",
    ),
    "task": Term(
        "Task",
        "What the two models recognise (for example spoken digits or sound events). Each task has a waveform "
        "model and a spectrogram model; switching loads both and re-explains the audio.",
    ),
    # --- the class panel ---------------------------------------------------------------------------------------
    "classes_panel": Term(
        "Classes",
        "Each model's most likely classes with their probabilities. Click a class to see why each model "
        "would choose it; the bar marked ▶ is the class being explained.",
    ),
    "explain_class": Term(
        "Explain class",
        "The class both models are explained for. 'Each model's own prediction' explains whatever each model "
        "picked; choosing a class shows the evidence for and against that class.",
    ),
    "probability": Term(
        "Probability",
        "How sure the model is of this class (softmax of its scores). '(predicted)' marks the model's choice.",
    ),
    "conservation": Term(
        "Conservation",
        "The relevance on the clip divided by the model's score (logit) for the explained class: 1.00 means the "
        "map accounts for the whole score. It is rarely 1: the network's bias terms keep a part (the '-NoBias' "
        "rules give them none), the epsilon rule absorbs a little, and relevance on the zero padding around a "
        "short clip is not shown. A negative total is flagged with ⚠: the clip as a whole counts against the "
        "class. It checks the map; it does not grade the model.",
    ),
    # --- explanation settings ----------------------------------------------------------------------------------
    "composite": Term(
        "Rules (LRP composite)",
        "How relevance is passed back through the network, layer by layer (Layer-wise Relevance Propagation). "
        "Different rule sets answer slightly different questions; EpsilonPlus is a good default.",
    ),
    "composite:EpsilonPlus": Term(
        "EpsilonPlus",
        "Shows positive and negative evidence, each input weighted by its own value, so silence gets none. "
        "Use it first: the default for both models.",
    ),
    "composite:EpsilonAlpha2Beta1": Term(
        "EpsilonAlpha2Beta1",
        "Weights evidence for the class twice as much as evidence against it, so red areas stand out. "
        "Use it when the default map is too noisy to read.",
    ),
    "composite:EpsilonPlusFlat": Term(
        "EpsilonPlusFlat",
        "Like EpsilonPlus, but the first layer spreads relevance evenly over what each filter sees, "
        "so the map is smoother and also covers silence. Use it to see the regions a model looks at, not samples.",
    ),
    "composite:EpsilonAlpha2Beta1Flat": Term(
        "EpsilonAlpha2Beta1Flat",
        "EpsilonAlpha2Beta1 with the smooth first layer of the Flat rules. Use it for a coarse, for-the-class view.",
    ),
    "composite:EpsilonGammaBox": Term(
        "EpsilonGammaBox",
        "Favours positive evidence in the middle layers and respects the input's value range in the first one. "
        "Use it to compare with the default when you doubt a map.",
    ),
    "composite:-NoBias": Term(
        "The '-NoBias' twins",
        "Same rules as the rule set named before '-NoBias', but the network's bias terms get no share: all of the "
        "class score is passed down to the input, so conservation is about 1.00 when the clip fills the model's "
        "window. Around a short clip the zero padding still drives part of the score through the biases, and "
        "that part cannot reach the samples. Use them when the map must account for the whole score.",
    ),
    "colormap": Term(
        "Colour map", "The colours used for relevance; all of them put 'against' and 'for' at opposite ends."
    ),
    "sign_filter": Term(
        "Show relevance",
        "Which evidence to draw: both signs, only for the class (red), only against it (blue), or the size "
        "regardless of sign.",
    ),
    "opacity": Term("Overlay opacity", "How strongly the relevance covers the spectrogram and waveform beneath it."),
    "clip_percentile": Term(
        "Clip at percentile",
        "The relevance size (as a percentile of all cells) that gets full colour; larger values are clipped. "
        "Lower it to make weak relevance visible, raise it to see only the strongest.",
    ),
    "shared_scale": Term(
        "Same colour scale",
        "Each map is shown as shares of its own total |relevance| (percent per bin), because the two models' raw "
        "values measure different things (dB bins vs STFT coefficients). With this on, one colour means the same "
        "share in both maps.",
    ),
    "frequency_axis": Term(
        "Frequency axis",
        "How frequencies are spaced: linear (Hz evenly), log (octaves evenly) or mel (like hearing). "
        "Only the display changes, never the models.",
    ),
    # --- regions and their measures ----------------------------------------------------------------------------
    "regions": Term(
        "Regions",
        "Parts of the clip you mark as important (a time range, or a time-frequency box). The app measures "
        "how much of each model's relevance falls inside them.",
    ),
    "relevance_mass": Term(
        "Relevance mass",
        "The share of a model's positive relevance that lies inside your regions. 60 % means the model found "
        "most of its evidence where you did.",
    ),
    "rank_accuracy": Term(
        "Rank accuracy",
        "Take as many of the most relevant cells as your regions cover: the share of them that lie inside your "
        "regions. 1.0 = the model's top evidence is exactly your regions.",
    ),
    "chance": Term(
        "Chance",
        "What relevance mass and rank accuracy would be for a map spread evenly: the share of the clip your "
        "regions cover. A model is only aligned with you when it beats chance clearly.",
    ),
    "mass_over_chance": Term(
        "Mass / chance",
        "Relevance mass divided by chance: 1 = no better than an even spread, 3 = three times more evidence "
        "inside your regions than their size alone would give.",
    ),
    "suggest": Term(
        "Suggest regions",
        "Proposes the areas that hold the top share of a model's relevance; nothing is added until you accept.",
    ),
    # --- live mode -----------------------------------------------------------------------------------------------
    "live_counters": Term(
        "Live counters",
        "Analysed: windows both models explained. Dropped: windows left out because the analysis could not keep "
        "up with the hop (the newest window wins). Skipped quiet: windows the energy gate found too quiet. "
        "Analysed at once when a sound began: analyses the onset trigger started between two regular hops. "
        "Input dropouts / lost samples: audio the sound card could not deliver in time.",
    ),
    "live_gate": Term(
        "Energy gate",
        "Silence is not a class: a window whose loudest 10 ms stays less than 10 dB above the tracked noise floor "
        "(the level of the quiet between sounds), or below the dBFS value set here, is not analysed, and the "
        "tracks and the class panel say 'no sound' there. A window louder than -40 dBFS always counts as sound. "
        "On by default; switch it off to see what the models say about the quiet too.",
    ),
    "live_onset": Term(
        "Onset trigger",
        "Analyse at once when a sound starts ('at an onset') instead of waiting for the next regular step (hop).",
    ),
    # --- the window ----------------------------------------------------------------------------------------------
    "notifications": Term(
        "Messages",
        "The latest message that matters: problems in plain words, where a file was saved, mode changes. "
        "Click × to dismiss it.",
    ),
    "selection_bar": Term(
        "Selection",
        "Start, end and length of the selected time range, and its low and high frequency for a box on a "
        "spectrogram. Type a value to move the selection: seconds, or a clock (m:ss.mmm) as on a long "
        "recording's time axis.",
    ),
    "vertical_zoom": Term(
        "Vertical zoom",
        "+ and − zoom this pane's amplitude or frequency axis; ⤢ fits it to the clip again (Ctrl+F fits every axis).",
    ),
    "example": Term(
        "Built-in example",
        "A clip shipped with the app for each task (a synthesised spoken digit, a dog bark). Open your own file "
        "with Ctrl+O or drop it on the window; press Space to listen.",
    ),
    # --- long recordings (ui/tracks, ui/progressive) -----------------------------------------------------------
    "prediction_tracks": Term(
        "Prediction tracks",
        "Under the waveform, one row per model: the class it hears in each 1 s window over time. The colour is "
        "the class, the opacity how sure the model is; grey means no sound there. Hover for both models' top 3.",
    ),
    "each_window": Term(
        "Each window for its own class",
        "A recording longer than one model window holds many decisions: each window's relevance explains the "
        "class that window predicts, and the class panel shows the window under the cursor. Choosing a class "
        "under 'Explain class' explains that one class across the whole recording instead.",
    ),
    "sound_events": Term(
        "Sound events",
        "Consecutive windows where a model names the same class, confidently and over sound, merged into one "
        "event (onset, offset, class) and outlined on the tracks. ] and [ jump between them; Events > Export "
        "writes them as DCASE, Audacity or Raven files, or turns them into regions you can correct.",
    ),
    "disagreement": Term(
        "Disagreement",
        "A red mark between the tracks: both models hear sound there but name different classes. } and { jump "
        "between disagreements.",
    ),
    "explain_selection": Term(
        "Explain selection",
        "Explains only the selected time range, as if it were a file of its own (Shift+E).",
    ),
    "resume": Term(
        "Visible part first, Resume",
        "A long recording is explained where you look first, the rest behind; Cancel keeps what is done and "
        "Resume computes only what is missing. Results are kept on disk, so reopening the file shows them at once.",
    ),
    # --- faithfulness (Evaluate menu) -------------------------------------------------------------------------
    "faithfulness": Term(
        "Faithfulness",
        "Does the explanation point at what the model really uses? Measured by removing the clip's regions step by "
        "step in the order the explanation ranks them and watching the class probability fall: a faithful "
        "explanation makes it fall fast.",
    ),
    "perturbation_curve": Term(
        "Perturbation curves",
        "Probability of the class while more and more time-frequency patches are removed (both models hear the "
        "same resynthesised audio). Solid: most relevant first; dashed: least relevant first; dash-dot: loudest "
        "first; dotted: random patches that have sound.",
    ),
    "aopc": Term(
        "AOPC",
        "Area over the perturbation curve: the mean drop of the class probability while the most relevant patches "
        "go first (higher = more faithful). Compare it with random and loudest-first removal: an explanation "
        "should beat both.",
    ),
    "remove_top": Term(
        "Remove the top X %",
        "Take out the X % most relevant time-frequency patches (by the chosen model's explanation): the left image "
        "is the clip without them, the right one only them; both models classify each again, and you can listen.",
    ),
    "ranked_by": Term(
        "Ranked by",
        "Whose explanation ranks the patches: the waveform model's (projected to time-frequency) or the "
        "spectrogram model's.",
    ),
    # --- a data set's comparison (Evaluate menu) ---------------------------------------------------------------
    "compare_view": Term(
        "Compare (a data set)",
        "The results of 'python -m audioxai_gui compare DATASET --out FOLDER', which measures both models on every "
        "clip of a data set: which model is more robust, whose explanations are more faithful, where their "
        "strategies differ, and one row per clip that opens the clip here.",
    ),
    "compare_open": Term(
        "Open results",
        "Choose the folder a compare run wrote (its --out folder, holding results.csv, aggregate.json and "
        "context.json).",
    ),
    "compare_verdicts": Term(
        "Verdicts and summary",
        "One answer per question, with the numbers behind it, then the summary table: AOPC per model, domain and "
        "ranking (higher = the class falls faster when what the explanation ranks first is removed), accuracy "
        "under each corruption, and how stable each model's explanation is under slight noise.",
    ),
    "compare_table": Term(
        "Clips",
        "One row per clip: whether each model gets it right, its probability for the true class, the AOPC of its "
        "explanation (higher = more faithful), its accuracy over all corruptions, and how alike the two models' "
        "maps are. Click a header to sort; double-click a row (or press Enter) to open the clip.",
    ),
    "compare_filter": Term(
        "Filter",
        "Show only clips whose file name or class contains this text.",
    ),
    "compare_shown": Term(
        "Which clips",
        "All clips, those either model gets wrong, or those where one model is right and the other wrong.",
    ),
    "compare_open_clip": Term(
        "Open clip",
        "Open the selected clip in the window, with the model pair the comparison used, explaining its true class.",
    ),
}


KEYS_AND_MOUSE: list[tuple[str, str]] = [
    ("Wheel", "zoom time around the pointer"),
    (
        "Ctrl+wheel, or + / − by a pane",
        "zoom that pane's amplitude or frequency axis (spectrogram panes zoom together)",
    ),
    ("Drag", "select a time range (on a spectrogram: a time-frequency box)"),
    ("Shift+drag, middle drag", "pan"),
    ("Click", "place the cursor"),
    ("Space", "play the selection, or from the cursor; again to stop"),
    ("Ctrl+F", "fit time, frequency and amplitude to the clip"),
    ("Ctrl+E", "zoom to the selection"),
    ("Ctrl+1 / Ctrl+3", "zoom time in / out"),
    ("Home / End", "go to the start / end"),
    ("Ctrl+O", "open an audio file (or drop one on the window)"),
    ("A", "annotate mode: a drag makes a region"),
    ("Tab / Shift+Tab, Delete, F2", "step through regions, delete one, edit its label"),
    ("Ctrl+Z / Ctrl+Shift+Z", "undo / redo"),
    ("] / [ and } / {", "next / previous sound event, and where the models next / last disagree"),
    ("Shift+E", "explain only the selection, as a clip of its own"),
    ("Ctrl+R", "live microphone"),
    ("F1", "this guide"),
]


GUIDE: list[tuple[str, list[str]]] = [
    (
        "The three panes",
        [
            "task",
            "pane_waveform",
            "pane_spectrogram",
            "pane_waveform_tf",
            "red_blue",
            "colour_bar",
            "amplitude",
            "relevance_axis",
        ],
    ),
    ("Classes", ["classes_panel", "explain_class", "probability", "conservation"]),
    (
        "Rules and display",
        [
            "composite",
            *(key for key in TERMS if key.startswith("composite:")),
            "silent_samples",
            "colormap",
            "sign_filter",
            "opacity",
            "clip_percentile",
            "shared_scale",
            "frequency_axis",
        ],
    ),
    (
        "Your regions and the models",
        ["regions", "relevance_mass", "rank_accuracy", "chance", "mass_over_chance", "suggest"],
    ),
    (
        "Long recordings",
        ["prediction_tracks", "each_window", "sound_events", "disagreement", "explain_selection", "resume"],
    ),
    ("Live microphone", ["live_counters", "live_gate", "live_onset"]),
    (
        "How faithful is an explanation? (Evaluate menu)",
        ["faithfulness", "perturbation_curve", "aopc", "remove_top", "ranked_by"],
    ),
    (
        "Which representation decides better? (Evaluate menu)",
        [
            "compare_view",
            "compare_open",
            "compare_verdicts",
            "compare_table",
            "compare_filter",
            "compare_shown",
            "compare_open_clip",
        ],
    ),
    ("The window", ["notifications", "selection_bar", "vertical_zoom", "example"]),
]

GUIDE_INTRO = (
    "AudioXAI shows why two classifiers of the same sounds decide what they decide: one listens to the raw "
    "waveform, one looks at a spectrogram. Both are explained with Layer-wise Relevance Propagation (LRP), "
    "which shares each model's score for a class out over its input: the parts that pushed the score up are "
    "red, those that pushed it down are blue."
)


def tip(key: str) -> str:
    """The tooltip text of a term (KeyError names a missing term, so a typo fails in tests, not silently)."""
    return TERMS[key].text


def composite_tip(name: str) -> str:
    """The plain sentence for a composite: a '-NoBias' twin gets its base rule set's sentence and the twins' one;
    a composite this glossary does not know gets the general sentence."""
    if name.endswith(BIAS_FREE_SUFFIX):
        return f"{composite_tip(name.removesuffix(BIAS_FREE_SUFFIX))} {TERMS['composite:-NoBias'].text}"
    term = TERMS.get(f"composite:{name}")
    return term.text if term else tip("composite")


def guide_html() -> str:
    """The Help guide as simple HTML (headings, definition lists, the key table)."""
    parts = ["<h2>AudioXAI in five minutes</h2>", f"<p>{GUIDE_INTRO}</p>"]
    for heading, keys in GUIDE:
        parts.append(f"<h3>{heading}</h3><dl>")
        parts.extend(f"<dt><b>{TERMS[key].title}</b></dt><dd>{TERMS[key].text}</dd>" for key in keys)
        parts.append("</dl>")
    parts.append("<h3>Keyboard and mouse</h3><table cellpadding='3'>")
    parts.extend(f"<tr><td><b>{keys}</b></td><td>{what}</td></tr>" for keys, what in KEYS_AND_MOUSE)
    parts.append("</table>")
    return "\n".join(parts)
