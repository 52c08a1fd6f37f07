// Draws each line chart from the figures embedded in its page (a table under each chart carries
// the same figures for anyone without JavaScript or a screen). The canvas names the element
// holding its figures in `data-figures`: {labels, lines: [{label, data, colour, dashed}]}.
(function () {
  document.querySelectorAll("canvas[data-figures]").forEach(function (canvas) {
    var figures = JSON.parse(document.getElementById(canvas.dataset.figures).textContent);
    new Chart(canvas, {
      type: "line",
      data: {
        labels: figures.labels,
        datasets: figures.lines.map(function (line) {
          return {
            label: line.label, data: line.data, borderColor: line.colour,
            backgroundColor: line.colour, borderDash: line.dashed ? [6, 4] : [], spanGaps: true
          };
        })
      },
      options: { maintainAspectRatio: false, animation: false, interaction: { mode: "index", intersect: false } }
    });
  });
})();
