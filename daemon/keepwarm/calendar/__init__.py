"""Calendars kept elsewhere, read-only: CalDAV collections (caldav), iCalendar files over HTTP(S)
(requests) or on disk, parsed and their recurrences expanded (icalendar, recurring-ical-events)
into the domain's ``Event``s."""
