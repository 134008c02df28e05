"""reformabm.terminal: the progress reporter of validate and ablate."""


def test_run_reporter_echoes_lines_when_verbose_and_stays_silent_when_quiet(capsys):
    from reformabm.terminal import run_reporter

    with run_reporter("validate", verbose=True) as say:
        say("validate: 2 pattern(s), 3 distinct run(s)")
        say("  ran z_city, seed 1")
    err = capsys.readouterr().err
    assert "3 distinct run(s)" in err and "ran z_city, seed 1" in err
    with run_reporter("ablate", quiet=True) as say:
        say("ablate: 1 mechanism(s), 2 distinct run(s)")
        say("  teaching seed 1 30 d (0.1 s)")
    assert capsys.readouterr().err == ""
