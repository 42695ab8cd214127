"""The notice stage: drafts for what incidents owe (:mod:`.desk`), rendered from templates
(:mod:`.rendering`), e-mailed once approved (:mod:`.mail`, :mod:`.attachments`)."""
