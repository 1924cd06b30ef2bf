"""Read an appeal from free text: title, dates, demands, whom to write to, and how."""
