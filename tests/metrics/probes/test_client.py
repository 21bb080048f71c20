"""The prober against a real local HTTP server: timeouts, HTTP errors, the run deadline."""

import socket
import time

from metrics.probes.client import chat_completions_url, send_cases


def bodies(suite, n):
    return [(c.id, c.request("acme/model", suite.sampling)) for c in suite.cases[:n]]


def test_answers_come_back_in_order_with_the_bearer_key(suite, fake):
    done = []
    answers = send_cases(bodies(suite, 12), base_url=fake.base_url, api_key="sk-test",
                         concurrency=4, on_done=done.append)
    assert [a.case_id for a in answers] == [c.id for c in suite.cases[:12]]
    assert {a.status for a in answers} == {"ok"} and len(done) == 12
    assert set(fake.authorization) == {"Bearer sk-test"}
    assert answers[0].body["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == (
        "get_weather")
    assert fake.requests[0]["temperature"] == 0 and fake.requests[0]["max_tokens"] == 2048


def test_http_500_is_an_error_with_its_status(suite, fake):
    fake.behaviour = "http_500"
    answers = send_cases(bodies(suite, 3), base_url=fake.base_url, concurrency=2)
    assert [(a.status, a.http_status) for a in answers] == [("error", 500)] * 3
    assert answers[0].error.startswith("HTTP 500: ")


def test_slow_answers_time_out_per_request(suite, fake):
    fake.behaviour, fake.delay = "slow", 3.0
    started = time.monotonic()
    answers = send_cases(bodies(suite, 4), base_url=fake.base_url, concurrency=4, timeout_s=0.3)
    assert time.monotonic() - started < 2.0
    assert [a.status for a in answers] == ["timeout"] * 4
    assert "no answer within 0.3 s" in answers[0].error


def test_the_run_deadline_ends_a_run_that_would_take_longer(suite, fake):
    """Ten slow cases one at a time with a 1 s timeout would take 10 s: the 1.5 s deadline
    ends the run, and every case not answered by then is a timeout."""
    fake.behaviour, fake.delay = "slow", 5.0
    started = time.monotonic()
    answers = send_cases(bodies(suite, 10), base_url=fake.base_url, concurrency=1,
                         timeout_s=1.0, deadline_s=1.5)
    assert time.monotonic() - started < 3.5
    assert len(answers) == 10 and {a.status for a in answers} == {"timeout"}
    assert answers[0].sent and not answers[-1].sent  # the last ones never went out


def test_a_closed_port_is_an_error_not_a_timeout(suite):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    answers = send_cases(bodies(suite, 1), base_url=f"http://127.0.0.1:{port}/v1")
    assert answers[0].status == "error" and "cannot connect" in answers[0].error


def test_base_url_gets_the_openai_path():
    assert chat_completions_url("https://api.example.com/v1/") == (
        "https://api.example.com/v1/chat/completions")


def test_an_unusable_base_url_is_each_cases_error_not_a_crash(suite):
    answers = send_cases(bodies(suite, 2), base_url="ftp://127.0.0.1:1/v1")
    assert [a.status for a in answers] == ["error", "error"]
    assert answers[0].error.startswith("request failed: ")
