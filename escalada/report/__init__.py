"""`escalada report`: escalation metrics over the audit log and exported tickets.

`inputs` streams the records, `measures/` computes figures as pure functions
over those streams, `build` puts one `Report` together and `render/` turns it
into text, markdown, json or html (a registry named by `--format`)."""
