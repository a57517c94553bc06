#!/usr/bin/python3
"""Generates test/fixtures/lc/: synthetic annotations scored by AlpacaEval's own length-controlled
win rate (`get_length_controlled_winrate` in src/alpaca_eval/metrics/glm_winrate.py).

Their module is loaded at run time from a snapshot of github.com/tatsu-lab/alpaca_eval (nothing of
it is copied here); the test suite compares src/eval/lengthControlled.ts with the numbers it wrote.

    apt-get install python3-sklearn python3-pandas python3-patsy
    /usr/bin/python3 scripts/lc-reference/make_fixtures.py SNAPSHOT [OUT_DIR]

SNAPSHOT is a checkout of alpaca_eval or its bare git directory (read with `git show HEAD:...`).

What stands in for AlpacaEval's environment, and why:
- `hf_hub_download` returns our synthetic df_gamed.csv / instruction_difficulty.csv (same columns);
- `alpaca_eval.utils.convert_to_dataframe` is the list -> DataFrame conversion it does;
- `.winrate.get_winrate` returns only `win_rate` (the raw metrics have their own tests);
- Debian 12's scikit-learn 1.2.1 predates metadata routing (1.4), which `fit_LogisticRegressionCV`
  uses to hand `groups` to GroupKFold and `true_prob` / `true_sample_weight` to its scorer. The shims
  below do the same by hand: the folds are GroupKFold's, computed with those groups, and each fold's
  scorer receives the two arrays indexed by that fold's test rows, as `_check_method_params` does.
"""

import json
import math
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import patsy
import sklearn
import sklearn.linear_model
import sklearn.linear_model._logistic as sk_logistic
from sklearn.model_selection import GroupKFold

GLM_PATH = "src/alpaca_eval/metrics/glm_winrate.py"
BASELINE = "gpt4_1106_preview"
# Mixed code points (é is one UTF-16 unit, the emoji two) so that lengths are Python's len().
PATTERN = "Ab é😀 "


def read_snapshot(snapshot: Path) -> tuple[str, str]:
    if (snapshot / GLM_PATH).exists():
        source = (snapshot / GLM_PATH).read_text()
        rev = subprocess.run(["git", "-C", str(snapshot), "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    else:
        git = ["git", f"--git-dir={snapshot}"]
        source = subprocess.run(git + ["show", f"HEAD:{GLM_PATH}"], check=True, capture_output=True, text=True).stdout
        rev = subprocess.run(git + ["rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout
    return source, rev.strip()


def text_of_length(n: int) -> str:
    return (PATTERN * (n // len(PATTERN) + 1))[:n]


# --- stand-ins for scikit-learn >= 1.4's metadata routing ---------------------------------------

class RoutedScorer:
    """What `make_scorer(f, response_method="predict_proba", greater_is_better=False)` builds."""

    def __init__(self, fn, response_method="predict_proba", greater_is_better=True):
        assert response_method == "predict_proba"
        self.fn, self.sign = fn, (1 if greater_is_better else -1)

    def set_score_request(self, **_requests):
        return self

    def __call__(self, *_args):  # scikit-learn 1.2 checks that `scoring` is callable
        raise RuntimeError("the scorer is only called through bind(): it needs its fold's parameters")

    def bind(self, params, test):
        return lambda est, X, y: self.sign * self.fn(y, est.predict_proba(X)[:, 1], **{k: v[test] for k, v in params.items()})


class LogisticRegressionCVRouted(sklearn.linear_model.LogisticRegressionCV):
    def set_fit_request(self, **_requests):
        return self

    def fit(self, X, y, sample_weight=None, groups=None, **score_params):
        folds = list(self.cv.split(X, y, groups=groups))
        params = {k: np.asarray(v) for k, v in score_params.items()}
        scorer, original = self.scoring, sk_logistic._log_reg_scoring_path

        def scoring_path(X, y, train, test, *args, scoring=None, **kwargs):
            return original(X, y, train, test, *args, scoring=scorer.bind(params, test), **kwargs)

        sk_logistic._log_reg_scoring_path = scoring_path
        self.cv = folds
        try:
            return super().fit(X, y, sample_weight=sample_weight)
        finally:
            sk_logistic._log_reg_scoring_path = original


def load_glm_module(source: str, data_dir: Path):
    def hf_hub_download(repo_id, filename, repo_type, **_kwargs):
        assert repo_id == "tatsu-lab/alpaca_eval" and repo_type == "dataset"
        return str(data_dir / filename)

    def convert_to_dataframe(data):
        return data.copy() if isinstance(data, pd.DataFrame) else pd.DataFrame.from_records(data)

    def get_winrate(annotations):
        p = convert_to_dataframe(annotations)["preference"].astype(float).replace({0.0: 1.5}).dropna()
        return {"win_rate": (p - 1).mean() * 100}

    stubs = {
        "huggingface_hub": types.SimpleNamespace(hf_hub_download=hf_hub_download),
        "alpaca_eval": types.SimpleNamespace(
            constants=types.SimpleNamespace(DATASETS_TOKEN=None, DATASETS_FORCE_DOWNLOAD=False, DEFAULT_CACHE_DIR=None),
            types=types.SimpleNamespace(AnyLoadableDF=object),
            utils=types.SimpleNamespace(convert_to_dataframe=convert_to_dataframe),
        ),
        "alpaca_eval.metrics.winrate": types.SimpleNamespace(get_winrate=get_winrate),
    }
    saved = {k: sys.modules.get(k) for k in stubs}
    sys.modules.update(stubs)
    module = types.ModuleType("glm_winrate")
    module.__package__ = "alpaca_eval.metrics"
    module.__file__ = GLM_PATH  # only names the unused default weights file
    try:
        exec(compile(source, GLM_PATH, "exec"), module.__dict__)
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v

    if tuple(int(x) for x in sklearn.__version__.split(".")[:2]) < (1, 4):
        set_config = sklearn.set_config
        module.sklearn = types.SimpleNamespace(
            set_config=lambda **kw: set_config(**{k: v for k, v in kw.items() if k != "enable_metadata_routing"})
        )
        module.make_scorer = RoutedScorer
        module.LogisticRegressionCV = LogisticRegressionCVRouted

    # Keep the fitted model so the fixture can record the C the cross-validation chose.
    fit, fitted = module.fit_LogisticRegressionCV, []
    module.fit_LogisticRegressionCV = lambda *a, **kw: fitted.append(fit(*a, **kw)) or fitted[-1]
    return module, fitted


# --- synthetic inputs --------------------------------------------------------------------------

def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def data_dir(out: Path, gamed: str) -> Path:
    """The layout `iit data get alpaca-eval-lc` makes: `--data-dir out/data-<gamed>` finds it."""
    return out / f"data-{gamed}" / "alpaca_eval"


def write_gamed(out: Path, name: str, n_instr: int, seed: int) -> np.ndarray:
    """df_gamed.csv as glm_winrate reads it: the two length-gamed baselines judged against the
    baseline (preference in [0, 1]), per-model standardised length differences, difficulties."""
    rng = np.random.default_rng(seed)
    difficulty = rng.normal(0, 1.3, n_instr).round(6)
    rows = []
    for model, shift in [(f"{BASELINE}_verbose", -0.9), (f"{BASELINE}_concise", 1.0)]:
        sdl = rng.normal(shift, 0.7, n_instr)
        pref = sigmoid(-1.1 * np.tanh(sdl) + 0.9 * difficulty + rng.normal(0, 0.8, n_instr))
        pref = np.where(rng.random(n_instr) < 0.03, np.round(pref), pref)  # a few hard 0/1 labels
        rows += [
            dict(model=model, index=i, preference=pref[i], std_delta_len=sdl[i], instruction_difficulty=difficulty[i],
                 not_gamed_baseline=False)
            for i in range(n_instr)
        ]
    d = data_dir(out, name)
    d.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(d / "df_gamed.csv", index=False, float_format="%.10g")
    s = pd.Series(difficulty, index=pd.RangeIndex(n_instr, name="index"), name="instruction_difficulty")
    s.to_csv(d / "instruction_difficulty.csv")
    return difficulty


def make_rows(rng, difficulty, n, *, quality, length_effect, len2_scale, kind, missing=0.0, legacy_zero=0.0):
    len_1 = np.maximum(1, rng.lognormal(7.2, 0.5, n)).astype(int)
    len_2 = np.maximum(0, len_1 * len2_scale * rng.lognormal(0, 0.6, n)).astype(int)
    delta = (len_1 - len_2) / max(1, np.std(len_1 - len_2))
    logit = quality + 0.8 * difficulty[:n] - length_effect * np.tanh(delta) + rng.normal(0, 1.0, n)
    if kind == "soft":
        pref = 1 + sigmoid(logit).round(10)
    else:  # a discrete judge: win, loss, or a draw when it is unsure
        p = sigmoid(logit)
        pref = np.where(p > 0.65, 2.0, np.where(p < 0.35, 1.0, 1.5))
        pref = np.where(rng.random(n) < legacy_zero, np.where(pref == 1.5, 0.0, pref), pref)
    pref = [None if rng.random() < missing else float(v) for v in pref]
    return [dict(len_1=int(a), len_2=int(b), preference=c) for a, b, c in zip(len_1, len_2, pref)]


FIXTURES = [
    # name, gamed set, n, generator_2, options
    ("soft805", "g805", 805, "model-soft", dict(quality=-0.3, length_effect=0.8, len2_scale=1.2, kind="soft")),
    ("ties805", "g805", 805, "model-ties", dict(quality=0.2, length_effect=1.5, len2_scale=1.6, kind="discrete", legacy_zero=0.2)),
    ("missing300", "g805", 300, "model-missing", dict(quality=0.0, length_effect=0.6, len2_scale=0.9, kind="soft", missing=0.1)),
    ("low805", "g805", 805, "model-low", dict(quality=-3.5, length_effect=0.5, len2_scale=0.4, kind="soft")),
    ("small40", "g120", 40, "model-small", dict(quality=0.4, length_effect=1.0, len2_scale=1.1, kind="soft")),
    ("high120", "g120", 120, "model-high", dict(quality=2.5, length_effect=2.0, len2_scale=2.5, kind="soft")),
    ("discrete120", "g120", 120, "model-discrete", dict(quality=-0.5, length_effect=0.3, len2_scale=1.0, kind="discrete", missing=0.05)),
    ("baseline30", "g120", 30, BASELINE, dict(quality=0.0, length_effect=0.0, len2_scale=1.0, kind="soft")),
]


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    snapshot = Path(sys.argv[1])
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(__file__).resolve().parents[2] / "test/fixtures/lc"
    source, rev = read_snapshot(snapshot)
    difficulties = {"g805": write_gamed(out, "g805", 805, 805), "g120": write_gamed(out, "g120", 120, 120)}
    env = dict(alpaca_eval=rev, sklearn=sklearn.__version__, numpy=np.__version__, pandas=pd.__version__,
               patsy=patsy.__version__, python=sys.version.split()[0])

    for i, (name, gamed, n, generator_2, opts) in enumerate(FIXTURES):
        glm, fitted = load_glm_module(source, data_dir(out, gamed))
        rows = make_rows(np.random.default_rng(1000 + i), difficulties[gamed], n, **opts)
        annotations = [
            dict(instruction=f"instruction {j}", output_1=text_of_length(r["len_1"]), generator_1=BASELINE,
                 output_2=text_of_length(r["len_2"]), generator_2=generator_2, annotator="synthetic",
                 preference=math.nan if r["preference"] is None else r["preference"])
            for j, r in enumerate(rows)
        ]
        metrics = glm.get_length_controlled_winrate(annotations, save_weights_dir=None)
        expected = dict(win_rate=metrics["win_rate"], length_controlled_winrate=metrics["length_controlled_winrate"],
                        lc_standard_error=metrics["lc_standard_error"])
        if fitted:
            model = fitted[-1]
            expected["weights"] = dict(zip(model.feature_names_in_, model.coef_[0]))
            expected["C"] = float(model.C_[0])
            expected["cv_scores"] = model.scores_[1].sum(axis=0).tolist()
        fixture = dict(name=name, gamed=gamed, generator_1=BASELINE, generator_2=generator_2, pattern=PATTERN,
                       rows=rows, expected=expected, env=env)
        (out / f"{name}.json").write_text(json.dumps(fixture, indent=None, separators=(",", ":")) + "\n")
        print(f"{name}: n={n} win_rate={metrics['win_rate']:.4f} LC={metrics['length_controlled_winrate']:.6f}"
              f" C={expected.get('C')}")


if __name__ == "__main__":
    main()
