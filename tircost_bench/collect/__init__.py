"""Collection: networks -> tasks -> random schedules -> builds -> measurements (MetaSchedule JSONDatabase)."""
