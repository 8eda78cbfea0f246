"""Rule gather_provenance: all audit records in one file (surveysem.provenance)."""

import logging

from surveysem.io import write_json
from surveysem.provenance import provenance_record

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, force=True)
record = provenance_record(snakemake.input.audits, snakemake.params.study, snakemake.input.lock)
write_json(record, snakemake.output.provenance)
logging.info("gathered %d audit records (commit %s)", len(record["steps"]), record["commit"])
