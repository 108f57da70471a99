"""/analytics: filters, key numbers, four charts, each with a table view for screen readers."""
from __future__ import annotations

import reflex as rx

from booking_app.components.staff_frame import staff_shell
from booking_app.state.analytics import STATUS_ORDER
from booking_app.state.analytics import AnalyticsState as A

STATUS_FILL = {"confirmed": "var(--blue-9)", "pending": "var(--amber-9)", "completed": "var(--gray-9)",
               "no_show": "var(--red-9)", "cancelled": "var(--gray-6)", "late_cancel": "var(--gray-11)"}


def labelled(label: str, control_id: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.el.label(rx.text(label, size="2", weight="medium"), html_for=control_id), control,
                     spacing="1")


def filters() -> rx.Component:
    return rx.flex(
        rx.heading("Analytics", size="6", as_="h1"),
        labelled("Calendar", "f-calendar", rx.el.select(
            rx.el.option("All calendars", value=""),
            rx.foreach(A.calendars, lambda c: rx.el.option(c.label, value=c.id)),
            id="f-calendar", value=A.calendar_id, on_change=lambda v: A.set_filter("calendar_id", v),
            class_name="native-select")),
        labelled("From", "f-start", rx.input(id="f-start", name="start", type="date", value=A.start,
                                             on_change=lambda v: A.set_filter("start", v))),
        labelled("To", "f-end", rx.input(id="f-end", name="end", type="date", value=A.end,
                                         on_change=lambda v: A.set_filter("end", v))),
        labelled("Group by", "f-group", rx.el.select(
            *[rx.el.option(label, value=value) for value, label in (("day", "Day"), ("week", "Week"),
                                                                      ("month", "Month"))],
            id="f-group", value=A.group_by, on_change=lambda v: A.set_filter("group_by", v),
            class_name="native-select")),
        gap="4", align="end", wrap="wrap", width="100%",
    )


def stat(label: str, key: str) -> rx.Component:
    return rx.card(rx.text(label, size="2", color=rx.color("gray", 11)),
                   rx.text(getattr(A.cards, key), size="6", weight="bold", custom_attrs={"data-stat": key}),
                   min_width="10rem")


def table(caption: str, rows, columns: list[tuple[str, str]]) -> rx.Component:
    """The chart's numbers as a table, behind a disclosure that screen readers and keyboards reach."""
    return rx.el.details(
        rx.el.summary(f"{caption} as a table", style={"cursor": "pointer"}),
        rx.box(rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(title) for _, title in columns])),
            rx.table.body(rx.foreach(rows, lambda r: rx.table.row(
                *[rx.table.cell(r[key].to(str)) for key, _ in columns]))),
            size="1", custom_attrs={"data-table": caption}),
            overflow_x="auto", width="100%", tab_index=0, role="region", aria_label=f"{caption} table"),
    )


def chart_card(title: str, chart: rx.Component, rows, columns) -> rx.Component:
    figure = rx.box(chart, width="100%", role="figure", aria_label=f"{title} chart; the table below has its numbers")
    return rx.card(rx.vstack(rx.heading(title, size="3", as_="h2"), figure,
                             table(title, rows, columns), width="100%"), width="100%",
                   min_width="0")  # lets a wide table scroll inside its grid cell instead of being clipped


def charts() -> rx.Component:
    axis = [rx.recharts.cartesian_grid(stroke_dasharray="3 3"), rx.recharts.tooltip(), rx.recharts.legend()]
    return rx.grid(
        chart_card("Appointments by status", rx.recharts.bar_chart(
            *[rx.recharts.bar(data_key=s, stack_id="status", fill=STATUS_FILL[s], is_animation_active=False)
              for s in STATUS_ORDER],
            rx.recharts.x_axis(data_key="period"), rx.recharts.y_axis(allow_decimals=False), *axis,
            data=A.series, height=280), A.series,
            [("period", "Period"), *[(s, s.replace("_", " ").capitalize()) for s in STATUS_ORDER], ("count", "Total")]),
        chart_card("Cancellation and no-show rates (%)", rx.recharts.line_chart(
            rx.recharts.line(data_key="cancellation", stroke="var(--amber-9)", name="Cancellation %",
                             is_animation_active=False),
            rx.recharts.line(data_key="no_show", stroke="var(--red-9)", name="No-show %", is_animation_active=False),
            rx.recharts.x_axis(data_key="period"), rx.recharts.y_axis(), *axis, data=A.rates, height=280),
            A.rates, [("period", "Period"), ("cancellation", "Cancellation %"), ("no_show", "No-show %")]),
        chart_card("Booking lead time", rx.recharts.bar_chart(
            rx.recharts.bar(data_key="count", fill="var(--accent-9)", name="Appointments", is_animation_active=False),
            rx.recharts.x_axis(data_key="bucket"), rx.recharts.y_axis(allow_decimals=False), *axis,
            data=A.lead_times, height=280), A.lead_times, [("bucket", "Booked ahead"), ("count", "Appointments")]),
        chart_card("Revenue per appointment type", rx.recharts.bar_chart(
            rx.recharts.bar(data_key="revenue", fill="var(--grass-9)", name="Revenue", is_animation_active=False),
            rx.recharts.x_axis(data_key="type"), rx.recharts.y_axis(), *axis, data=A.by_type, height=280),
            A.by_type, [("type", "Type"), ("count", "Appointments"), ("revenue", "Revenue"), ("currency", "Currency")]),
        columns=rx.breakpoints(initial="1", lg="2"), spacing="4", width="100%",
    )


def analytics_page() -> rx.Component:
    return staff_shell(
        filters(),
        rx.cond(A.error, rx.callout(A.error, icon="triangle-alert", color_scheme="red", role="alert")),
        rx.flex(stat("Appointments", "total"), stat("Cancellation rate", "cancellation_rate"),
                stat("No-show rate", "no_show_rate"), stat("Average lead time", "lead_time"),
                stat("Revenue", "revenue"), gap="3", wrap="wrap"),
        charts(),
        state=A,
    )
