// Corpora — see ../shared/ARCHITECTURE.md. (Module placeholder; content lands in this session.)
