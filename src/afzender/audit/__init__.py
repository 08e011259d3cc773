"""The seed's rules as a tool: :mod:`.rules` (which capacity fits which account type),
:mod:`.check` (one draft), :mod:`.accounts` (audit accounts over time), :mod:`.results`
(what they find) and :mod:`.render` (Markdown, HTML from :file:`templates/`, terminal)."""
