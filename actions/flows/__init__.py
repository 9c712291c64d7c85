"""The four guided flows: lost card, re-entry, child born in Japan, departure order."""
