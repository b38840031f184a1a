"""Trial sessions booked in the chat after a created lead: offers and times in the dialogue's terms, the booking's calls and retries, and whose a pressed button is."""
