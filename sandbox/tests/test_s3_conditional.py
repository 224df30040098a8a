"""S3 conditional writes, as a deploy lease uses them: moto 5.2.5 honours
If-None-Match and If-Match on PutObject and If-Match on DeleteObject; the
sandbox serialises requests, so two racing writers cannot both win."""

import threading

import botocore.exceptions
import pytest

LEASE = {"Bucket": "acme-stackpilot-state", "Key": "leases/alpha.json"}


def error_of(call, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call(**LEASE, **kwargs)
    response = raised.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


def read(s3) -> bytes:
    return s3.get_object(**LEASE)["Body"].read()


@pytest.fixture
def s3(sandbox):
    client = sandbox.client("s3", attempts=1)
    client.create_bucket(Bucket=LEASE["Bucket"])
    return client


def test_if_none_match_creates_once(s3):
    assert s3.put_object(**LEASE, Body=b"holder-1", IfNoneMatch="*")["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert error_of(s3.put_object, Body=b"holder-2", IfNoneMatch="*") == (412, "PreconditionFailed")
    assert read(s3) == b"holder-1"


def test_if_match_replaces_only_the_version_read(s3):
    first = s3.put_object(**LEASE, Body=b"holder-1")["ETag"]
    second = s3.put_object(**LEASE, Body=b"holder-1 renewed", IfMatch=first)["ETag"]
    assert second != first
    assert error_of(s3.put_object, Body=b"stale writer", IfMatch=first) == (412, "PreconditionFailed")
    assert read(s3) == b"holder-1 renewed"
    missing = {"Bucket": LEASE["Bucket"], "Key": "leases/none.json"}
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        s3.put_object(**missing, Body=b"x", IfMatch=first)
    assert raised.value.response["Error"]["Code"] == "NoSuchKey"


def test_delete_with_if_match_releases_only_the_own_lease(s3):
    mine = s3.put_object(**LEASE, Body=b"holder-1")["ETag"]
    s3.put_object(**LEASE, Body=b"holder-2")
    assert error_of(s3.delete_object, IfMatch=mine) == (412, "PreconditionFailed")
    assert read(s3) == b"holder-2"
    current = s3.head_object(**LEASE)["ETag"]
    assert s3.delete_object(**LEASE, IfMatch=current)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert error_of(s3.head_object) == (404, "404")


def test_racing_if_none_match_puts_have_exactly_one_winner(s3, sandbox):
    writers = 8
    start = threading.Barrier(writers)
    outcomes: dict[int, int] = {}

    # One client per thread, made here: boto3's default session is not thread-safe.
    clients = [sandbox.client("s3", attempts=1) for _ in range(writers)]

    def write(n: int) -> None:
        client = clients[n]
        start.wait()
        try:
            client.put_object(**LEASE, Body=f"holder-{n}".encode(), IfNoneMatch="*")
            outcomes[n] = 200
        except botocore.exceptions.ClientError as err:
            outcomes[n] = err.response["ResponseMetadata"]["HTTPStatusCode"]

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()) == [200] + [412] * (writers - 1)
    winner = next(n for n, status in outcomes.items() if status == 200)
    assert read(s3) == f"holder-{winner}".encode()
