// Draws the turn-the-curve chart from the figures embedded in the page (the table below it
// carries the same figures for anyone without JavaScript or a screen).
(function () {
  var data = JSON.parse(document.getElementById("curve-data").textContent);
  new Chart(document.getElementById("curve-chart"), {
    type: "line",
    data: {
      labels: data.labels,
      datasets: [
        { label: data.indicator + " (actual)", data: data.actual, borderColor: "#1d70b8", backgroundColor: "#1d70b8", spanGaps: true },
        { label: "Forecast from the months before", data: data.forecast, borderColor: "#d4351c", backgroundColor: "#d4351c", borderDash: [6, 4], spanGaps: true }
      ]
    },
    options: { maintainAspectRatio: false, animation: false, interaction: { mode: "index", intersect: false } }
  });
})();
