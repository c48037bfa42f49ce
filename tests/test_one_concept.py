"""Each shared concept has one implementation that every package uses (issue 16, finding 3)."""

import r1_core.reward_call


def test_every_package_calls_rewards_through_r1_core():
    import r1_cli.benchmarks.math
    import r1_cli.data.pass_rate
    import r1_rewards
    import r1_rewards.cli
    import r1_rewards.doctor

    for module in (r1_rewards, r1_rewards.cli, r1_rewards.doctor, r1_cli.data.pass_rate,
                   r1_cli.benchmarks.math):
        assert module.call_reward is r1_core.reward_call.call_reward, module.__name__


def test_every_path_asks_r1_core_whether_the_hub_is_reachable():
    import r1_cli.benchmarks.source
    import r1_core.hub
    import r1_core.training.model

    for module in (r1_cli.benchmarks.source, r1_core.training.model):
        assert module.hub_reachable is r1_core.hub.hub_reachable, module.__name__
        assert not hasattr(module, "_hub_reachable") and not hasattr(module, "_probe")


def test_reward_options_use_the_shared_value_grammar():
    from r1_core.config_parsing import parse_value
    from r1_rewards.cli import parse_reward_options

    for text in ("4", "1e-3", "x", "{max_len: 500}", "[1, 2]"):
        assert parse_reward_options(["cosine"], [f"cosine.k={text}"]) == {"cosine": {"k": parse_value(text)}}


def test_training_and_r1_data_read_dataset_names_by_one_grammar(tmp_path, monkeypatch):
    import r1_cli.data.sources
    import r1_core.dataset_names
    import r1_core.training.data
    import r1_core.training.evalsplit
    from r1_cli.data.sources import load_table

    for module in (r1_cli.data.sources, r1_core.training.data, r1_core.training.evalsplit):
        assert module.parse_dataset_name is r1_core.dataset_names.parse_dataset_name, module.__name__
    table = load_table("bundled:math")  # r1 data now reads the bundled sets the trainers use
    assert len(table) > 0 and table.kind == "bundled" and table.texts()
