"""The lead intake: one prospect's update in, stored state and replies out; the leads config; the outbox that delivers each confirmed lead once; what prospect and staff are told afterwards."""
