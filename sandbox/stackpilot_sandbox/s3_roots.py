"""S3 answers with the XML root element AWS sends.

moto names the root of some S3 answers after the operation
(`<GetBucketVersioningResponse>`); S3 uses the configuration's own name
(`<VersioningConfiguration>`), and strict deserializers check it: the Rust
AWS SDK refuses the answer ("expected VersioningConfiguration"). These are
the answers that differ, found by calling each of moto's S3 read operations;
their bodies are otherwise S3's.
"""

from __future__ import annotations

import re

AWS_ROOTS = {
    "GetBucketVersioningResponse": "VersioningConfiguration",
    "GetBucketAccelerateConfigurationResponse": "AccelerateConfiguration",
    "GetBucketNotificationResponse": "NotificationConfiguration",
    "GetObjectAttributesOutput": "GetObjectAttributesResponse",
    "ListPartsResponse": "ListPartsResult",
}
_OPENING = re.compile(rb"^(\s*(?:<\?xml[^>]*\?>)?\s*<)(" + b"|".join(n.encode() for n in AWS_ROOTS) + rb")(?=[\s/>])")


def with_aws_root(payload: bytes) -> bytes:
    """`payload` with its root element renamed when moto misnames it."""
    opening = _OPENING.match(payload)
    if opening is None:
        return payload
    moto_name = opening.group(2)
    aws_name = AWS_ROOTS[moto_name.decode()].encode()
    renamed = payload[: opening.start(2)] + aws_name + payload[opening.end(2):]
    closing = b"</" + moto_name + b">"
    end = renamed.rstrip()
    if end.endswith(closing):
        renamed = end[: -len(closing)] + b"</" + aws_name + b">"
    return renamed
