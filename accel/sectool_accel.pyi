"""Type stubs of sectool's compiled ingest fast path (see src/lib.rs)."""

__version__: str
FORMAT: int

class NdjsonBulk:
    def __init__(
        self,
        checks: dict[str, int],
        preferred: dict[str, list[str]],
        prefix: str,
        labels: list[tuple[str, str]],
    ) -> None: ...
    def encode_block(
        self, block: bytes
    ) -> tuple[list[tuple[str, str, bytes] | bytes], list[tuple[int, str]], list[str], int]: ...
