"""solver.lm.model: offline loading, shared-prefix sampling, stopping, OOM back-off, adapters.

Every test uses tiny random Llamas written to a temporary folder (tests/tiny.py).
"""

from __future__ import annotations

import inspect
import json
import shutil
import time
import warnings
from pathlib import Path

import pytest
import torch

import tiny
from solver.lm import model as M
from solver.dsl import synth
from solver.arc.grids import Pair, Task
from solver.lm.prompt import PromptConfig, PromptTooLong, build_prompt

SOLVER_JSON = {"prompt": {"encoder": "sparse", "chat": False}, "max_new_tokens": 24}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return tiny.make_tiny_model(tmp_path_factory.mktemp("tiny"), solver_json=SOLVER_JSON)


@pytest.fixture(scope="module")
def task():
    made, _ = synth.generate("random", 1, 0, 3, 3, 5)
    return made[0].task


@pytest.fixture()
def m(model_dir):
    return M.load(M.ModelConfig(path=str(model_dir), device="cpu"))


def greedy_reference(m, prompt, new):
    ids = torch.tensor([m.encode(prompt)])
    with torch.inference_mode():
        out = m.model.generate(ids, do_sample=False, max_new_tokens=new, min_new_tokens=new,
                               pad_token_id=m.tokenizer.pad_token_id)
    return tuple(out[0, ids.shape[1]:].tolist())


# ---------------------------------------------------------------- loading


def test_load_fp32_reads_solver_json_and_weights(m, model_dir):
    from safetensors.torch import load_file

    assert m.prompt_config == PromptConfig(encoder="sparse", chat=False)
    assert m.max_new_tokens == 24
    assert m.context_length == 2048  # max_position_embeddings of the tiny model
    assert m.device == torch.device("cpu")
    assert next(m.model.parameters()).dtype == torch.float32
    saved = load_file(model_dir / "model.safetensors")
    params = dict(m.model.named_parameters())
    assert saved and all(torch.equal(params[k], v) for k, v in saved.items())


def test_load_4bit_on_cpu(model_dir, task):
    import bitsandbytes as bnb

    q = M.load(M.ModelConfig(path=str(model_dir), quantization="4bit", device="cpu"))
    layers = [mod for mod in q.model.modules() if isinstance(mod, bnb.nn.Linear4bit)]
    assert len(layers) == 2 * 7  # q, k, v, o, gate, up, down per layer; lm_head stays full
    prompt = q.prompt_for(task)
    got = q.sample(prompt, M.SampleConfig(n=3, temperatures=(0.0,), stop=False))
    assert [s.n_tokens for s in got] == [24] * 3
    assert len({s.token_ids for s in got}) == 1  # greedy rows agree
    assert got[0].token_ids == greedy_reference(q, prompt, 24)


def test_load_8bit_on_cpu(model_dir, task):
    import bitsandbytes as bnb

    q = M.load(M.ModelConfig(path=str(model_dir), quantization="8bit", device="cpu"))
    assert sum(isinstance(mod, bnb.nn.Linear8bitLt) for mod in q.model.modules()) == 2 * 7
    prompt = q.prompt_for(task)
    got = q.sample(prompt, M.SampleConfig(n=2, temperatures=(0.0,), stop=False))
    assert [s.token_ids for s in got] == [greedy_reference(q, prompt, 24)] * 2


def test_missing_folder_is_a_clear_error_not_a_hub_lookup(tmp_path, monkeypatch):
    with pytest.raises(M.ModelLoadError, match="does not exist"):
        M.load(M.ModelConfig(path="Qwen/Qwen2.5-0.5B"))  # looks like a hub id: never fetched
    monkeypatch.setattr(M, "DEFAULT_MODEL_DIR", tmp_path / "nothing")
    with pytest.raises(M.ModelLoadError, match=str(tmp_path / "nothing")) as e:
        M.load(M.ModelConfig())
    assert "embedded default model" in str(e.value)
    with pytest.raises(M.ModelLoadError, match="no config.json"):
        M.load(M.ModelConfig(path=str(tmp_path)))


def test_bad_solver_json_names_the_file(model_dir, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(model_dir, bad)
    (bad / "solver.json").write_text(json.dumps({"prompt": {"encoder": "hex"}}))
    with pytest.raises(M.ModelLoadError, match=r"solver\.json.*unknown grid encoder 'hex'"):
        M.load(M.ModelConfig(path=str(bad)))
    (bad / "solver.json").write_text("{not json")
    with pytest.raises(M.ModelLoadError, match=r"solver\.json: not readable JSON"):
        M.load(M.ModelConfig(path=str(bad)))


def test_settings_are_validated():
    with pytest.raises(ValueError, match="quantization"):
        M.ModelConfig(quantization="3bit")
    with pytest.raises(ValueError, match="dtype"):
        M.ModelConfig(dtype="int8")


# ---------------------------------------------------------------- prompts and context


def test_prompt_for_uses_the_model_prompt_config(m, task):
    assert m.prompt_for(task) == build_prompt(task, PromptConfig(encoder="sparse"))


def test_prompt_too_long_is_a_clean_skip(model_dir, tmp_path, task):
    small = tmp_path / "small"
    shutil.copytree(model_dir, small)
    (small / "solver.json").write_text(json.dumps({**SOLVER_JSON, "context_length": 60}))
    s = M.load(M.ModelConfig(path=str(small)))
    n_prompt = len(s.encode(build_prompt(task, s.prompt_config)))
    with pytest.raises(PromptTooLong) as e:
        s.prompt_for(task)
    assert (e.value.task_id, e.value.prompt_tokens, e.value.max_new_tokens,
            e.value.context_length) == (task.id, n_prompt, 24, 60)
    assert str(e.value) == (f"task {task.id}: prompt too long: {n_prompt} prompt tokens + "
                            f"24 new tokens > context 60")
    with pytest.raises(PromptTooLong):
        s.sample(build_prompt(task, s.prompt_config), M.SampleConfig(n=2))
    tiny_task = Task("t", (Pair(((1,),), ((2,),)),), (Pair(((1,),)),))
    assert s.prompt_for(tiny_task, max_new_tokens=5).endswith("def task(img):\n")


# ---------------------------------------------------------------- sampling


def test_shared_prefix_equals_plain_generate_under_greedy(m, task):
    prompt = m.prompt_for(task)
    ref = greedy_reference(m, prompt, 24)
    got = m.sample(prompt, M.SampleConfig(n=5, temperatures=(0.0,), stop=False))
    assert [s.token_ids for s in got] == [ref] * 5
    assert got[0].text == m.tokenizer.decode(list(ref))
    assert m.last_stats.prompt_tokens == len(m.encode(prompt))
    assert m.last_stats.generated_tokens == 5 * 24


@pytest.mark.parametrize("kv_heads", [4, 2, 1])  # plain, grouped-query, multi-query
def test_shared_prefix_attention_matches_copied_prefix(tmp_path, task, kv_heads):
    folder = tiny.make_tiny_model(tmp_path / "m", kv_heads=kv_heads, solver_json=SOLVER_JSON)
    g = M.load(M.ModelConfig(path=str(folder)))
    prompt = g.prompt_for(task)
    with torch.no_grad():
        prefix, _ = g._prefill(g.encode(prompt))
        n = prefix[0][0].shape[2]
        for step in ([[5], [7], [9]], [[5, 6, 7], [7, 8, 9], [9, 3, 4]]):  # q = 1 and q = 3
            x = torch.tensor(step)
            shared = M._rows_cache(prefix, 3, n + 10, shared=True)
            with M._AttentionSwitch(g.model, shared):
                a = g._forward(x, shared).logits
                a2 = g._forward(x[:, :1] + 1, shared).logits
            copied = M._rows_cache(prefix, 3, n + 10, shared=False)
            b = g._forward(x, copied).logits
            b2 = g._forward(x[:, :1] + 1, copied).logits
            assert torch.allclose(a, b, atol=1e-5) and torch.allclose(a2, b2, atol=1e-5)
    assert g.model.config._attn_implementation == "sdpa"  # switched back
    ref = greedy_reference(g, prompt, 24)
    for shared in (True, False):
        g.shared_prefix_attention = shared
        got = g.sample(prompt, M.SampleConfig(n=3, temperatures=(0.0,), stop=False))
        assert [s.token_ids for s in got] == [ref] * 3


def test_per_row_temperature_in_one_batch(m, task):
    prompt = m.prompt_for(task)
    got = m.sample(prompt, M.SampleConfig(n=8, temperatures=(0.0, 5.0), top_p=1.0, stop=False))
    assert [s.temperature for s in got] == [0.0, 5.0] * 4
    assert m.last_stats.batch_sizes == [8]  # one batch
    cold = [s.token_ids for s in got[0::2]]
    hot = [s.token_ids for s in got[1::2]]
    assert cold == [greedy_reference(m, prompt, 24)] * 4
    assert len(set(hot)) == 4  # every hot row went its own way


def test_sampling_is_seeded(m, task):
    prompt = m.prompt_for(task)
    cfg = M.SampleConfig(n=6, temperatures=(1.0,), stop=False, seed=3)
    a = [s.token_ids for s in m.sample(prompt, cfg)]
    b = [s.token_ids for s in m.sample(prompt, cfg)]
    c = [s.token_ids for s in m.sample(prompt, M.SampleConfig(n=6, temperatures=(1.0,),
                                                                stop=False, seed=4))]
    assert a == b
    assert a != c


def test_row_temperature_top_p_processor():
    logits = torch.tensor([[2.0, 1.0, 0.0, -1.0],
                           [2.0, 1.0, 0.0, -1.0],
                           [0.0, 3.0, 1.0, 2.0]])
    out = M.RowTemperatureTopP(torch.tensor([1.0, 2.0, 0.0]), top_p=1.0)(None, logits)
    assert torch.equal(out[0], logits[0])
    assert torch.equal(out[1], logits[1] / 2)
    assert out[2].tolist() == [float("-inf"), 0.0, float("-inf"), float("-inf")]
    # top-p: probabilities 0.5, 0.3, 0.2 -> 0.7 keeps two tokens, 0.5 keeps one, 0.81 three
    p = torch.tensor([[0.5, 0.3, 0.2]]).log()
    for top_p, kept in ((0.7, 2), (0.5, 1), (0.81, 3), (1.0, 3), (0.01, 1)):
        out = M.RowTemperatureTopP(torch.tensor([1.0]), top_p=top_p)(None, p)
        assert torch.isfinite(out).sum().item() == kept, top_p
        assert torch.equal(out[0, :kept], p[0, :kept])


def test_out_of_memory_halves_the_batch_and_retries(m, task, monkeypatch):
    prompt = m.prompt_for(task)
    cfg = M.SampleConfig(n=16, temperatures=(0.3, 1.0), stop=False, seed=1)
    real = m._forward
    seen = []

    def flaky(input_ids, cache):
        seen.append(input_ids.shape[0])
        if input_ids.shape[0] > 4:
            raise torch.OutOfMemoryError("CUDA out of memory (injected)")
        return real(input_ids, cache)

    monkeypatch.setattr(m, "_forward", flaky)
    got = m.sample(prompt, cfg)
    assert len(got) == 16 and all(s.n_tokens == 24 for s in got)
    assert m.last_stats.batch_sizes == [4, 4, 4, 4]
    assert m.last_stats.oom_retries == 2  # 16 -> 8 -> 4
    assert m.max_batch == 4  # remembered for the next call
    # batches of 16 and 8 rows fail at their first step, then every step has 4 rows
    assert seen[:2] == [16, 8] and set(seen[2:]) == {4}
    monkeypatch.undo()
    direct = m.sample(prompt, M.SampleConfig(n=16, temperatures=(0.3, 1.0), stop=False, seed=1,
                                             batch_size=4))
    assert [s.token_ids for s in got] == [s.token_ids for s in direct]


def test_other_errors_are_not_swallowed(m, task, monkeypatch):
    def broken(input_ids, cache):
        raise RuntimeError("shape mismatch")

    monkeypatch.setattr(m, "_forward", broken)
    with pytest.raises(RuntimeError, match="shape mismatch"):
        m.sample(m.prompt_for(task), M.SampleConfig(n=4))


def test_stop_tracker_ends_rows_at_end_of_program(m):
    tr = M._StopTracker(m.tokenizer, m.eos_ids)

    def run(text):
        state, ids = 0, m.tokenizer.encode(text, add_special_tokens=False)
        for i, tid in enumerate(ids):
            state, done = tr.advance(state, tid)
            if done:
                return m.tokenizer.decode(ids[:i])
        return None

    body = "    draw_pixel(img, (0, 1), 2)\n\n    return img\n"
    assert run(body + "input 0") == body
    assert run(body + "```\nWrite") == body
    assert run("return img") == ""  # an unindented first line: empty body
    assert run(body + "    ") is None  # still inside the program
    eos = m.tokenizer.eos_token_id
    assert tr.advance(2, eos) == (2, True)


# ---------------------------------------------------------------- adapters


def _train_steps(m, prompt: str, target: str, steps: int, lr: float = 5e-3) -> float:
    """A few plain optimizer steps on the parameters that require grad (the LoRA)."""
    p_ids, t_ids = m.encode(prompt), m.tokenizer.encode(target, add_special_tokens=False)
    ids = torch.tensor([p_ids + t_ids])
    labels = ids.clone()
    labels[0, :len(p_ids)] = -100
    params = [p for p in m.model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=lr)
    m.model.train()
    for _ in range(steps):
        loss = m.model(input_ids=ids, labels=labels).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
    m.model.eval()
    return loss.item()


def _snapshot(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _check_adapter_cycle(m, task, steps):
    prompt = m.prompt_for(task)
    program = "    draw_pixel(img, (0, 1), 2)\n    return img\n"
    before = _snapshot(m.model)
    flags = {n: p.requires_grad for n, p in m.model.named_parameters()}
    greedy = m.sample(prompt, M.SampleConfig(n=2, temperatures=(0.0,)))

    m.add_adapter(r=8, alpha=16, target_modules="all-linear")
    trainable = [n for n, p in m.model.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n for n in trainable)
    loss = _train_steps(m, prompt, program + "input", steps)
    # (a random tiny model's fixed lm_head bounds how peaked the logits get: loss ~0.2)
    assert loss < 0.4, loss
    tuned = m.sample(prompt, M.SampleConfig(n=3, temperatures=(0.0, 0.2)))
    # the adapted model writes the program and the row stops at the unindented line
    assert [s.text for s in tuned] == [program] * 3
    assert tuned[0].code == "def task(img):\n" + program

    m.remove_adapter()
    assert not m.has_adapter
    after = m.model.state_dict()
    assert set(after) == set(before)
    for k, v in before.items():
        assert torch.equal(after[k], v), k
    assert {n: p.requires_grad for n, p in m.model.named_parameters()} == flags
    again = m.sample(prompt, M.SampleConfig(n=2, temperatures=(0.0,)))
    assert [s.token_ids for s in again] == [s.token_ids for s in greedy]


def test_adapter_train_sample_remove_fp32_bit_identical(m, task):
    _check_adapter_cycle(m, task, steps=60)


def test_adapter_on_4bit_base_bit_identical(model_dir, task):
    q = M.load(M.ModelConfig(path=str(model_dir), quantization="4bit", device="cpu"))
    _check_adapter_cycle(q, task, steps=60)


def test_full_tuning_train_sample_reset_bit_identical(m, task):
    """tune_all: every weight learns the program, and remove_adapter puts the weights back
    exactly (sampling after it is the base model's again)."""
    prompt = m.prompt_for(task)
    program = "    draw_pixel(img, (0, 1), 2)\n    return img\n"
    before = _snapshot(m.model)
    flags = {n: p.requires_grad for n, p in m.model.named_parameters()}
    greedy = m.sample(prompt, M.SampleConfig(n=2, temperatures=(0.0,)))
    m.tune_all()
    assert m.has_adapter
    assert all(p.requires_grad for p in m.model.parameters())
    with pytest.raises(RuntimeError, match="already attached"):
        m.add_adapter()
    assert _train_steps(m, prompt, program + "input", 40) < 0.4
    tuned = m.sample(prompt, M.SampleConfig(n=2, temperatures=(0.0,)))
    assert [s.text for s in tuned] == [program] * 2
    m.remove_adapter()
    assert not m.has_adapter
    after = m.model.state_dict()
    assert all(torch.equal(after[k], v) for k, v in before.items())
    assert {n: p.requires_grad for n, p in m.model.named_parameters()} == flags
    again = m.sample(prompt, M.SampleConfig(n=2, temperatures=(0.0,)))
    assert [s.token_ids for s in again] == [s.token_ids for s in greedy]


def test_full_tuning_refuses_quantized_weights(model_dir):
    q = M.load(M.ModelConfig(path=str(model_dir), quantization="4bit", device="cpu"))
    with pytest.raises(ValueError, match="unquantized"):
        q.tune_all()
    assert not q.has_adapter


def test_second_adapter_must_replace_the_first(m):
    m.add_adapter()
    with pytest.raises(RuntimeError, match="already attached"):
        m.add_adapter()
    m.remove_adapter()
    m.remove_adapter()  # no-op
    m.add_adapter()  # fresh again
    assert m.has_adapter
    m.remove_adapter()


def test_sampling_passes_the_cache_by_its_current_name(m, task):
    """No deprecated argument on the sampling path, with and without an adapter (peft
    passes the cache through to the base model under the same name)."""
    prompt = m.prompt_for(task)
    greedy = M.SampleConfig(n=2, temperatures=(0.0,), max_new_tokens=6)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        plain = m.sample(prompt, greedy)
    m.add_adapter()  # a fresh LoRA (B = 0) leaves the outputs as they were
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", FutureWarning)
            adapted = m.sample(prompt, greedy)
    finally:
        m.remove_adapter()
    assert [s.token_ids for s in adapted] == [s.token_ids for s in plain]
    assert len(plain[0].token_ids) > 0


def test_cache_argument_follows_the_forward_signature(m):
    class Before(torch.nn.Module):  # transformers before 5.24
        def forward(self, input_ids=None, past_key_values=None, use_cache=None):
            return None

    assert M.cache_argument(Before()) == "past_key_values"
    named = inspect.signature(type(m.model).forward).parameters
    assert M.cache_argument(m.model) == ("cache" if "cache" in named else "past_key_values")


# ---------------------------------------------------------------- the sample verb


def test_cli_sample_scores_programs_on_the_train_pairs(tmp_path, capsys, monkeypatch):
    """``solver sample`` on two tasks with a tiny model first taught the first task's
    program: that task is solved (accuracy 1), the other is not, and a too-long prompt is
    a skip line, not a crash."""
    from solver.arc import grids
    from solver.cli import main
    from solver.lm import quiet
    from solver.lm.prompt import build_target

    routed = []  # routing is process-wide: keep pytest's own process as it is
    monkeypatch.setattr(quiet, "route_library_noise", routed.append)

    made, _ = synth.generate("random", 3, 5, 2, 3, 4)
    a, b = made[0], made[1]
    big = Task("big", tuple(Pair(p.input, p.output) for p in made[2].task.train) * 30,
               made[2].task.test)
    folder = tiny.make_tiny_model(tmp_path / "m", solver_json={
        "prompt": {"encoder": "sparse"}, "max_new_tokens": 40, "context_length": 1024})
    m = M.load(M.ModelConfig(path=str(folder)))
    for p in m.model.parameters():
        p.requires_grad_(True)
    loss = _train_steps(m, m.prompt_for(a.task), build_target(a.program) + "input", 80)
    assert loss < 0.4, loss
    m.model.save_pretrained(folder)
    grids.write_tasks(tmp_path / "c.json", [a.task, b.task, big])

    rc = main(["sample", "--tasks", str(tmp_path / "c.json"), "-n", "4", "--model", str(folder),
               "--temperatures", "0", "--device", "cpu"])
    out = capsys.readouterr().out.strip().splitlines()
    assert rc == 0
    line = {ln.split(":")[0]: ln for ln in out[:-1]}
    assert line[a.task.id].startswith(f"{a.task.id}: best pixel accuracy 1.000; SOLVED (4 exact, 4/4 ran")
    assert "not solved" in line[b.task.id]
    assert line["big"].startswith("big: skipped: task big: prompt too long:")
    assert out[-1] == "solved: 1/3"

    rc = main(["sample", "--tasks", str(tmp_path / "c.json"), "--task", b.task.id, "-n", "2",
               "--model", str(folder), "--device", "cpu"])
    out = capsys.readouterr().out.strip().splitlines()
    assert rc == 0 and len(out) == 2 and out[-1] == "solved: 0/1"
    assert main(["sample", "--tasks", str(tmp_path / "c.json"), "--model", str(tmp_path / "no")]) == 2
    assert len(routed) == 3 and all(p.parent == Path("runs") and p.name.startswith("sample-")
                                    for p in routed)


def test_samplable_rows_never_dead():
    import torch

    from solver.lm.model import samplable

    inf = float("-inf")
    raw = torch.tensor([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [float("nan")] * 3])
    grammar = torch.tensor([[inf, 2.0, 3.0], [inf, 2.0, inf], [float("nan")] * 3])
    both = torch.tensor([[inf, inf, 3.0], [inf, inf, inf], [float("nan")] * 3])
    out = samplable(both, grammar, raw)
    assert out[0].tolist() == [inf, inf, 3.0]  # fine rows are untouched
    assert out[1].tolist() == [inf, 2.0, inf]  # the line mask left nothing: the grammar's row
    assert out[2].tolist() == [0.0, 0.0, 0.0]  # dead everywhere (NaNs): uniform
    assert torch.multinomial(out.softmax(-1), 1).shape == (3, 1)


def test_sampling_stops_at_its_deadline_and_drops_unfinished_rows(m, task, monkeypatch):
    prompt = m.prompt_for(task)
    cfg = M.SampleConfig(n=6, temperatures=(1.0,), stop=False, batch_size=3)
    assert m.sample(prompt, cfg, deadline=time.time() - 1) == []  # past: nothing starts
    assert m.last_stats.cut_rows == 6 and m.last_stats.batch_sizes == []
    # the clock passes the deadline at the third decode step of the first batch
    steps = {"n": 0}
    real_forward = m._forward

    def counting(*a, **k):
        steps["n"] += 1
        return real_forward(*a, **k)

    monkeypatch.setattr(m, "_forward", counting)
    clock = iter([0.0] * 3 + [100.0] * 1000)
    monkeypatch.setattr(M.time, "time", lambda: next(clock))
    got = m.sample(prompt, cfg, deadline=50.0)
    assert got == [] and m.last_stats.cut_rows == 6  # no row had finished (stop=False)
    assert steps["n"] <= 3  # the first batch stopped early, the second never ran
