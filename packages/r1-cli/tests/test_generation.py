import pytest
from r1_cli.generation import SamplingParams, TransformersGenerator, as_messages
from r1_core import ConfigError

CONVERSATIONS = [as_messages("What is 1 + 1?"),
                 as_messages("A much longer question about the sum of many numbers, please answer it"),
                 as_messages("x", system_prompt="Be brief.")]


@pytest.fixture(scope="module")
def generator(tiny_model):
    return TransformersGenerator(tiny_model, batch_size=2)


def test_left_padded_batches_match_one_by_one_greedy(generator):
    params = SamplingParams(n=1, temperature=0, max_new_tokens=12)
    batched = generator.generate(CONVERSATIONS, params)
    single = [generator.generate_one(c, params) for c in CONVERSATIONS]
    assert [[c.text for c in cs] for cs in batched] == [[c.text for c in cs] for cs in single]


def test_greedy_with_several_samples_repeats_the_one_answer(generator):
    out = generator.generate(CONVERSATIONS[:1], SamplingParams(n=3, temperature=0, max_new_tokens=6))
    assert len(out[0]) == 3 and len({c.text for c in out[0]}) == 1


def test_sampling_is_seeded(generator):
    params = SamplingParams(n=3, temperature=1.0, top_p=1.0, max_new_tokens=8, seed=5)
    first = [[c.text for c in cs] for cs in generator.generate(CONVERSATIONS, params)]
    again = [[c.text for c in cs] for cs in generator.generate(CONVERSATIONS, params)]
    assert first == again and [len(cs) for cs in first] == [3, 3, 3]
    for cs in generator.generate(CONVERSATIONS, params):
        assert all(c.finish_reason in ("stop", "length") and c.tokens <= 8 for c in cs)


def test_system_prompt_is_prepended_once():
    assert as_messages("q", "sys") == [{"role": "system", "content": "sys"}, {"role": "user", "content": "q"}]
    msgs = [{"role": "system", "content": "own"}, {"role": "user", "content": "q"}]
    assert as_messages(msgs, "sys") == msgs


@pytest.mark.parametrize("kwargs", [{"n": 0}, {"temperature": -0.1}, {"top_p": 0}, {"max_new_tokens": 0}])
def test_bad_sampling_parameters(kwargs):
    with pytest.raises(ConfigError):
        SamplingParams(**kwargs)
