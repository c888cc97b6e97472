"""Build sink: bulk-load the N-Quads file the RDF sink wrote into the embedded store `build/store/`.

Runs in `finish`, after the RDF sink has written `rdf/<name>.nq`, so `datapkg query` works right
after `datapkg build` with no server. Skipped with `datapkg build --no-store`. The store is a
RocksDB database, not a published file: its bytes are not deterministic, so checksums and
byte-identity checks of the build must leave `store/` out.
"""

from __future__ import annotations

from ..model import Actor
from ..store import RDF_DIR, STORE_DIR, load
from . import Sink


class StoreSink(Sink):
    name = "store"

    def finish(self, actors: list[Actor]) -> None:
        if not self.ctx.options.store:
            return
        nquads = self.ctx.out / RDF_DIR / f"{self.ctx.dataset.name}.nq"
        if not nquads.is_file():
            # a programming error (SINKS order), not a user mistake
            raise RuntimeError(f"{nquads} missing: the rdf sink must run before the store sink in build.SINKS")
        summary = load(nquads, self.ctx.out / STORE_DIR)
        self.ctx.counts["store"] = {"graphs": summary.graphs}
