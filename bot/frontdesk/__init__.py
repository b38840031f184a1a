"""The studio's front desk in the chat without staff: where it is, when it is open and what it costs, from PerfectGym's data, and the questions that data cannot answer handed to staff."""
