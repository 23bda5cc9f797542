"""Clue workflow (线索流转): states and transitions as data, events, deadlines, 督办, measures."""
