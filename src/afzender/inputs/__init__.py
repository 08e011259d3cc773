"""What comes in: posts to classify (:mod:`.posts`), tables in any format (:mod:`.tables`),
labelled posts (:mod:`.labelled`), which rows train, choose and test (:mod:`.splits`) and
the project's corpus (:mod:`.corpus`)."""
